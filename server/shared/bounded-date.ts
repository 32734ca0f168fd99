import { z } from 'zod';

// PostgreSQL's timestamp reaches 294276 AD and JavaScript's Date ±275760, but year 0 and negative years exist in
// neither the same way; no date this API takes (a page cursor, a lock's end) means anything outside 1970–9999.
const EARLIEST = Date.UTC(1970, 0, 1);
const LATEST = Date.UTC(10_000, 0, 1);

/**
 * An ISO 8601 date-time (offset allowed) for a query parameter or body field, kept as the string it was sent as:
 * a real calendar date (not `2026-02-30`) between 1970 and 9999, so it never reaches the database as something
 * PostgreSQL refuses (22008, which would be a 500).
 */
export const IsoDateTimeInRange = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z' }).refine(
  (s) => {
    const t = Date.parse(s);
    if (!(t >= EARLIEST && t < LATEST)) return false;
    // A day that does not exist (Feb 30) would roll over into the next month.
    const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
    const day = new Date(Date.UTC(y, m - 1, d));
    return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
  },
  { message: 'must be a real date-time between 1970 and 9999' },
);
