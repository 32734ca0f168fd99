/**
 * Figures for people, shared by the server (run log lines, reasons) and the console: "1.2 GB", "80 MB/s",
 * "2 h 5 min". Decimal units, as disks, clouds and people count them; one decimal below 10 so small sizes keep a
 * digit; whole bytes below a kilobyte (a rate of 1.6863406408094437 B/s is "2 B/s").
 */
const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

export function formatBytes(bytes: number | bigint | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  let value = Number(bytes);
  if (!Number.isFinite(value)) return '—';
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  // 9.96 rounds to "10.0": shown as "10" like the sizes just above.
  const shown = Math.abs(value) < 9.95 ? value.toFixed(1) : String(Math.round(value));
  return `${shown} ${BYTE_UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond === null || bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond)) return '—';
  return `${formatBytes(bytesPerSecond)}/s`;
}

const TIME_UNITS: [number, string][] = [
  [86_400, 'd'],
  [3_600, 'h'],
  [60, 'min'],
  [1, 's'],
];

/** Seconds as at most two units, the larger first: 7500 → "2 h 5 min", 0.4 → "0 s". */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  let left = Math.round(seconds);
  if (left === 0) return '0 s';
  const parts: string[] = [];
  for (const [size, unit] of TIME_UNITS) {
    if (parts.length === 2) break;
    const n = Math.floor(left / size);
    if (n > 0) {
      parts.push(`${n} ${unit}`);
      left -= n * size;
    } else if (parts.length > 0) break; // "1 h 0 min" says less than "1 h"
  }
  return parts.join(' ');
}
