import { describe, expect, it } from 'vitest';
import { pointDetailsText } from './point-details';

describe('pointDetailsText', () => {
  it("words a Redis snapshot's keys per database and memory", () => {
    expect(pointDetailsText({ objects: [{ role: 'data', size: 10, sha256: 'x', details: { keys: { db0: 1200, db5: 1 }, usedMemory: 1_500_000 } }] })).toBe(
      'db0 1,200 keys, db5 1 key; 1.5 MB in memory',
    );
    expect(pointDetailsText({ objects: [{ role: 'data', details: { keys: {} } }] })).toBe('no keys');
  });

  it('names the object when a point has several', () => {
    expect(pointDetailsText({ objects: [{ role: 'a', details: { usedMemory: 2500 } }, { role: 'b', details: {} }] })).toBe('a: 2.5 kB in memory');
  });

  it('shows nothing for a point without objects or details', () => {
    expect(pointDetailsText({})).toBeNull();
    expect(pointDetailsText(null)).toBeNull();
    expect(pointDetailsText({ objects: [{ role: 'data', details: { database: 'orders' } }] })).toBeNull();
  });
});
