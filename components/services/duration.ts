/** Units a recovery objective is typed in; the server stores seconds. */
export const DURATION_UNITS = [
  { unit: 'seconds', label: 'seconds', seconds: 1 },
  { unit: 'minutes', label: 'minutes', seconds: 60 },
  { unit: 'hours', label: 'hours', seconds: 3_600 },
  { unit: 'days', label: 'days', seconds: 86_400 },
] as const;
export type DurationUnit = (typeof DURATION_UNITS)[number]['unit'];

/** The largest unit that shows `seconds` as a whole number (300 → 5 minutes, 90 → 90 seconds). */
export function splitDuration(seconds: number): { amount: string; unit: DurationUnit } {
  for (const u of [...DURATION_UNITS].reverse()) {
    if (seconds > 0 && seconds % u.seconds === 0) return { amount: String(seconds / u.seconds), unit: u.unit };
  }
  return { amount: String(seconds), unit: 'seconds' };
}

/**
 * What the form sends: a whole number of seconds, or the text as typed when it is not a number (so the server's
 * refusal names the field instead of the form guessing). Decimals are allowed when they make whole seconds (1.5 h).
 */
export function durationToSeconds(amount: string, unit: DurationUnit): number | string {
  const trimmed = amount.trim();
  if (trimmed === '' || !/^-?\d+(\.\d+)?$/.test(trimmed)) return trimmed;
  const factor = DURATION_UNITS.find((u) => u.unit === unit)?.seconds ?? 1;
  return Math.round(Number(trimmed) * factor * 1000) / 1000;
}
