/**
 * How SLO reasons word figures for people: "2 h 5 min", "1.2 GB", "80 MB/s". Decimal byte units, as throughput is
 * usually quoted (a disk's 80 MB/s), and at most two duration units, because a reason is read at a glance.
 */

const UNITS: [number, string][] = [
  [86_400, 'd'],
  [3_600, 'h'],
  [60, 'min'],
  [1, 's'],
];

/** Seconds as at most two units, the larger first: 7500 → "2 h 5 min", 3600 → "1 h", 42 → "42 s". */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  let left = Math.max(0, Math.round(seconds));
  if (left === 0) return '0 s';
  const parts: string[] = [];
  for (const [size, unit] of UNITS) {
    if (parts.length === 2) break;
    const n = Math.floor(left / size);
    if (n > 0) {
      parts.push(`${n} ${unit}`);
      left -= n * size;
    } else if (parts.length > 0) {
      break; // "1 h 0 min 5 s" would say less than "1 h"
    }
  }
  return parts.join(' ');
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

/** Bytes in decimal units with up to one decimal: 1_234_567_890 → "1.2 GB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const shown = unit === 0 ? String(Math.round(value)) : value < 10 ? value.toFixed(1).replace(/\.0$/, '') : String(Math.round(value));
  return `${shown} ${BYTE_UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** A moment in reasons: ISO 8601 to the minute, in UTC, so it reads the same on every screen and in logs. */
export function formatMoment(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
