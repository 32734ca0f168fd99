import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cronError, firesInWindow, inWindow, nextRuns, slotsBetween } from './schedule-time';

const iso = (d: Date) => d.toISOString();
// 2026-01-01 .. 2027-01-01: both Berlin DST changes inside.
const YEAR_START = Date.UTC(2026, 0, 1);
const YEAR_MS = 365 * 86_400_000;
const CRONS = ['* * * * *', '*/5 * * * *', '15 * * * *', '0 3 * * 0', '0 2 * * 1-6', '30 2 * * *', '0 4 1 * *', '0 */6 * * *', '30 0 3 * * *'];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];

describe('nextRuns and slotsBetween', () => {
  it('words the seeds: weekly full on Sunday 03:00 UTC', () => {
    const runs = nextRuns({ cron: '0 3 * * 0', timezone: 'UTC' }, new Date('2026-12-02T00:00:00Z'), 3).map(iso);
    expect(runs).toEqual(['2026-12-06T03:00:00.000Z', '2026-12-13T03:00:00.000Z', '2026-12-20T03:00:00.000Z']);
  });

  it('slotsBetween is (from, to]: a slot at from belongs to the interval before', () => {
    const s = { cron: '0 * * * *', timezone: 'UTC' };
    const slots = slotsBetween(s, new Date('2026-01-01T01:00:00Z'), new Date('2026-01-01T03:00:00Z')).map(iso);
    expect(slots).toEqual(['2026-01-01T02:00:00.000Z', '2026-01-01T03:00:00.000Z']);
    expect(slotsBetween(s, new Date('2026-01-01T03:00:00Z'), new Date('2026-01-01T03:00:00Z'))).toEqual([]);
  });

  it('slotsBetween agrees with repeated nextRuns, and adjacent intervals split it without gap or repeat', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CRONS),
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: YEAR_MS }),
        // Hours, not days: croner reads a named zone at about 1 ms per fire time.
        fc.integer({ min: 1, max: 4 * 3_600_000 }),
        fc.integer({ min: 0, max: 4 * 3_600_000 }),
        (cron, timezone, offset, len1, len2) => {
          const s = { cron, timezone };
          const a = new Date(YEAR_START + offset);
          const b = new Date(a.getTime() + len1);
          const c = new Date(b.getTime() + len2);
          const whole = slotsBetween(s, a, c).map(iso);
          expect([...slotsBetween(s, a, b), ...slotsBetween(s, b, c)].map(iso)).toEqual(whole);
          // Repeated nextRuns from a, cut at c, give the same list.
          const byNext: string[] = [];
          let at = a;
          for (;;) {
            const [next] = nextRuns(s, at, 1);
            if (!next || next.getTime() > c.getTime()) break;
            byNext.push(iso(next));
            at = next;
          }
          expect(byNext).toEqual(whole);
          for (const t of whole) expect(Date.parse(t) > a.getTime() && Date.parse(t) <= c.getTime()).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('stops at max and pages on from the last slot', () => {
    const s = { cron: '* * * * *', timezone: 'UTC' };
    const from = new Date('2026-01-01T00:00:00Z');
    const to = new Date('2026-01-01T01:00:00Z');
    const first = slotsBetween(s, from, to, 25);
    expect(first).toHaveLength(25);
    const rest = slotsBetween(s, first[24]!, to);
    expect([...first, ...rest]).toHaveLength(60);
  });

  it('DST in Europe/Berlin: a time that does not exist runs an hour later, one that happens twice runs once', () => {
    const s = { cron: '30 2 * * *', timezone: 'Europe/Berlin' };
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST, so 02:30 never happens; croner fires at 03:30 CEST (01:30Z).
    const spring = slotsBetween(s, new Date('2026-03-27T12:00:00Z'), new Date('2026-03-30T12:00:00Z')).map(iso);
    expect(spring).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z']);
    // 25 October 2026: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice; one slot only.
    const autumn = slotsBetween(s, new Date('2026-10-23T12:00:00Z'), new Date('2026-10-26T12:00:00Z')).map(iso);
    expect(autumn).toHaveLength(3);
    expect(new Set(autumn.map((t) => t.slice(0, 10))).size).toBe(3);
    // A daily slot stays at 02:30 on the wall clock around each change.
    expect(autumn[0]).toBe('2026-10-24T00:30:00.000Z');
    expect(autumn[2]).toBe('2026-10-26T01:30:00.000Z');
  });

  it('an hourly Berlin schedule: every real hour in spring; the repeated 02:00 of autumn fires once (the second)', () => {
    const s = { cron: '0 * * * *', timezone: 'Europe/Berlin' };
    const spring = slotsBetween(s, new Date('2026-03-28T22:00:00Z'), new Date('2026-03-29T04:00:00Z'));
    for (let i = 1; i < spring.length; i++) expect(spring[i]!.getTime() - spring[i - 1]!.getTime()).toBe(3_600_000);
    const autumn = slotsBetween(s, new Date('2026-10-24T22:00:00Z'), new Date('2026-10-25T03:00:00Z')).map(iso);
    // 00:00Z is 02:00 CEST, 01:00Z is 02:00 CET: the wall clock reads 02:00 twice and the slot is the later one.
    expect(autumn).toEqual(['2026-10-24T23:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-25T03:00:00.000Z']);
  });

  it('the UTC fast path gives the same times as the named zone', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CRONS), fc.integer({ min: 0, max: YEAR_MS }), (cron, offset) => {
        const from = new Date(YEAR_START + offset);
        const fast = nextRuns({ cron, timezone: 'UTC' }, from, 5).map(iso);
        const named = nextRuns({ cron, timezone: 'Africa/Abidjan' }, from, 5).map(iso); // UTC+0 all year, named
        expect(fast).toEqual(named);
      }),
      { numRuns: 40 },
    );
  });

  it('cronError gives croner reasons and refuses "?"', () => {
    expect(cronError('0 3 * * 0')).toBeNull();
    expect(cronError('30 0 3 * * *')).toBeNull();
    expect(cronError('0 60 * * *')).toMatch(/hour/);
    expect(cronError('every sunday')).toMatch(/five or six/);
    expect(cronError('? * * * *')).toMatch(/\?/);
    // Read otherwise by cron-parser (BullMQ's job schedulers): refused, so slots and fires agree.
    expect(cronError('0 3 * * 5L')).toMatch(/day-of-week/);
    expect(cronError('0 3 * * 5#L')).toMatch(/day-of-week/);
    expect(cronError('0 3 * * FRI')).toBeNull();
    expect(cronError('0 3 * * 1#2')).toBeNull();
    expect(cronError('0 4 L * *')).toBeNull();
  });
});

describe('inWindow', () => {
  const at = (hhmm: string, zone = 'UTC', day = '2026-06-10') => {
    // The instant at which `zone`'s wall clock reads hhmm on `day` (no DST change that day).
    const guess = new Date(`${day}T${hhmm}:00Z`);
    const shown = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(guess);
    const [h, m] = shown.split(':').map(Number);
    const delta = (h! * 60 + m! - (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)))) * 60_000;
    return new Date(guess.getTime() - delta);
  };

  it('holds [start, end) and crosses midnight when end is before start', () => {
    const day = { cron: '* * * * *', timezone: 'UTC', window: { start: '01:00', end: '05:00' } };
    expect(inWindow(day, at('00:59'))).toBe(false);
    expect(inWindow(day, at('01:00'))).toBe(true);
    expect(inWindow(day, at('04:59'))).toBe(true);
    expect(inWindow(day, at('05:00'))).toBe(false);
    const night = { cron: '* * * * *', timezone: 'UTC', window: { start: '22:00', end: '02:00' } };
    expect(inWindow(night, at('21:59'))).toBe(false);
    expect(inWindow(night, at('23:30'))).toBe(true);
    expect(inWindow(night, at('00:00'))).toBe(true);
    expect(inWindow(night, at('01:59'))).toBe(true);
    expect(inWindow(night, at('02:00'))).toBe(false);
    expect(inWindow({ cron: '* * * * *', timezone: 'UTC' }, at('12:00'))).toBe(true);
  });

  it('reads the window on the wall clock of the schedule zone', () => {
    const s = { cron: '* * * * *', timezone: 'Europe/Berlin', window: { start: '01:00', end: '05:00' } };
    // Summer: Berlin is UTC+2, so 01:00 Berlin is 23:00Z the day before.
    expect(inWindow(s, new Date('2026-06-09T23:00:00Z'))).toBe(true);
    expect(inWindow(s, new Date('2026-06-10T02:59:00Z'))).toBe(true);
    expect(inWindow(s, new Date('2026-06-10T03:00:00Z'))).toBe(false);
    // Winter: UTC+1.
    expect(inWindow(s, new Date('2026-01-10T00:00:00Z'))).toBe(true);
    expect(inWindow(s, new Date('2026-01-10T04:00:00Z'))).toBe(false);
  });

  it('agrees with a minute-of-day model, for any window, in any zone', () => {
    const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    fc.assert(
      fc.property(hhmm, hhmm, hhmm, fc.constantFrom('UTC', 'Europe/Berlin', 'Asia/Kolkata'), (start, end, t, zone) => {
        fc.pre(start !== end);
        const s = { cron: '* * * * *', timezone: zone, window: { start, end } };
        const mins = (x: string) => Number(x.slice(0, 2)) * 60 + Number(x.slice(3));
        const [a, b, x] = [mins(start), mins(end), mins(t)];
        const expected = a < b ? x >= a && x < b : x >= a || x < b;
        expect(inWindow(s, at(t, zone))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('firesInWindow: a schedule whose slots all fall outside its window is found out', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    expect(firesInWindow({ cron: '0 3 * * *', timezone: 'UTC', window: { start: '01:00', end: '05:00' } }, from)).toBe(true);
    expect(firesInWindow({ cron: '0 6 * * *', timezone: 'UTC', window: { start: '01:00', end: '05:00' } }, from)).toBe(false);
    expect(firesInWindow({ cron: '0 23 * * *', timezone: 'UTC', window: { start: '22:00', end: '02:00' } }, from)).toBe(true);
    expect(firesInWindow({ cron: '* * * * *', timezone: 'UTC', window: { start: '20:00', end: '20:01' } }, from)).toBe(true);
  });
});
