import { describe, expect, it } from 'vitest';
import { FireBatcher } from './fire-batcher';
import type { FireOutcome, FireRequest } from './fire-slot';

const request = (n: number): FireRequest => ({ payload: { sourceId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, scheduleId: 's' }, job: { opts: { prevMillis: n } } });
const outcomeOf = (r: FireRequest): FireOutcome => ({ outcome: 'started', slotAt: new Date(r.job.opts!.prevMillis!), runId: r.payload.sourceId });

describe('FireBatcher', () => {
  it('records a burst in few batches, one at a time, each fire settling with its own outcome', async () => {
    const batches: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const batcher = new FireBatcher(async (requests) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      batches.push(requests.length);
      await new Promise((r) => setTimeout(r, 20));
      inFlight -= 1;
      return requests.map(outcomeOf);
    }, 50, 5);
    const requests = Array.from({ length: 230 }, (_, i) => request(i + 1));
    const outcomes = await Promise.all(requests.map((r) => batcher.submit(r)));
    expect(outcomes).toEqual(requests.map(outcomeOf));
    expect(batches.reduce((a, b) => a + b, 0)).toBe(230);
    expect(batches.every((n) => n <= 50)).toBe(true);
    expect(batches.length).toBe(5);
    expect(maxInFlight).toBe(1);
  });

  it('a lone fire waits only the linger time; a failed batch rejects its own fires and the next batch still runs', async () => {
    let calls = 0;
    const batcher = new FireBatcher(async (requests) => {
      calls += 1;
      if (calls === 1) throw new Error('catalog blip');
      return requests.map(outcomeOf);
    }, 50, 5);
    const started = Date.now();
    await expect(batcher.submit(request(1))).rejects.toThrow('catalog blip');
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(batcher.submit(request(2))).resolves.toEqual(outcomeOf(request(2)));
  });
});
