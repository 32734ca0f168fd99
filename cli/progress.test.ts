import { describe, expect, it } from 'vitest';
import { bytes, duration, table, time } from './format';
import { createProgress, describeProgress } from './progress';
import type { Run } from './schemas';

const run = (over: Partial<Run>): Run => ({
  id: '11111111-2222-4333-8444-555555555555',
  kind: 'BACKUP',
  status: 'RUNNING',
  sourceId: 's',
  attempt: 1,
  maxAttempts: 3,
  phase: 'dumping',
  bytesDone: 0,
  bytesTotal: null,
  error: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  ...over,
});

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { write: (s: string) => chunks.push(s), isTTY, columns: 100 } };
}

describe('progress', () => {
  it('words the state, bytes, share, rate and retries', () => {
    expect(describeProgress(run({ bytesDone: 1_500_000, bytesTotal: 6_000_000 }), 500_000)).toBe('RUNNING dumping, 1.5 MB of 6.0 MB (25%), 500 kB/s');
    expect(describeProgress(run({ status: 'QUEUED', attempt: 2 }), null)).toBe('QUEUED, attempt 2 of 3');
    expect(describeProgress(run({ status: 'SUCCEEDED', bytesDone: 0, bytesTotal: 1714 }), null)).toBe('SUCCEEDED');
  });

  it('draws a bar in place on a terminal and ends its line', () => {
    let t = 0;
    const { chunks, stream } = sink(true);
    const p = createProgress(stream, { enabled: true, now: () => t });
    p.update(run({ bytesDone: 0, bytesTotal: 1000 }));
    t = 1000;
    p.update(run({ bytesDone: 500, bytesTotal: 1000 }));
    p.finish(run({ status: 'SUCCEEDED', bytesDone: 1000, bytesTotal: 1000 }));
    p.end();
    expect(chunks.slice(0, 3).every((c) => c.startsWith('\r\x1b[2K'))).toBe(true);
    expect(chunks[1]).toContain('[############------------] RUNNING dumping, 500 B of 1.0 kB (50%), 500 B/s  1 s');
    expect(chunks[2]).toContain('[########################] SUCCEEDED');
    expect(chunks.at(-1)).toBe('\n');
  });

  it('writes plain lines without a terminal: on every change, bytes at most every 10 s', () => {
    let t = 0;
    const { chunks, stream } = sink(false);
    const p = createProgress(stream, { enabled: true, now: () => t });
    p.update(run({ status: 'QUEUED', phase: null }));
    p.update(run({ status: 'QUEUED', phase: null }));
    t = 1000;
    p.update(run({ bytesDone: 10 }));
    t = 2000;
    p.update(run({ bytesDone: 20 }));
    t = 12_000;
    p.update(run({ bytesDone: 30 }));
    p.finish(run({ status: 'SUCCEEDED', bytesDone: 40 }));
    p.end();
    expect(chunks.every((c) => c.endsWith('\n') && !c.includes('\r'))).toBe(true);
    expect(chunks.map((c) => c.replace(/^\[[^\]]*\] /, ''))).toEqual([
      'backup run 11111111-2222-4333-8444-555555555555: QUEUED\n',
      'backup run 11111111-2222-4333-8444-555555555555: RUNNING dumping, 10 B\n',
      expect.stringMatching(/: RUNNING dumping, 30 B, 6 B\/s\n$/),
      'backup run 11111111-2222-4333-8444-555555555555: SUCCEEDED, 40 B\n',
    ]);
  });

  it('says nothing when disabled (--quiet)', () => {
    const { chunks, stream } = sink(false);
    const p = createProgress(stream, { enabled: false });
    p.update(run({}));
    p.finish(run({ status: 'FAILED' }));
    p.note('x');
    p.end();
    expect(chunks).toEqual([]);
  });
});

describe('format', () => {
  it('sizes, durations, times and tables', () => {
    expect([0, 999, 1000, 1_234_567, 250_000_000_000].map(bytes)).toEqual(['0 B', '999 B', '1.0 kB', '1.2 MB', '250 GB']);
    expect([5, 60, 303, 3600, 7500, 90_000].map(duration)).toEqual(['5 s', '1 min', '5 min 3 s', '1 h', '2 h 5 min', '1 d 1 h']);
    expect(time('2026-12-02T11:59:18.123Z')).toBe('2026-12-02 11:59:18Z');
    expect(table(['A', 'BB'], [['xyz', '1'], ['x', '22']])).toBe('A    BB\nxyz  1\nx    22');
  });
});
