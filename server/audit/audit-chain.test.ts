import { describe, expect, it } from 'vitest';
import { AUDIT_GENESIS, auditHash, canonicalJson, type ChainedFields } from './record-audit';
import { checkChain, type StoredEvent } from './verify-audit-chain';

function chain(n: number): StoredEvent[] {
  const events: StoredEvent[] = [];
  let prev = AUDIT_GENESIS;
  for (let i = 0; i < n; i++) {
    const fields: ChainedFields = {
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      actorType: 'user',
      actorId: 'u1',
      actorLabel: 'ops@example.com',
      action: 'backup.request',
      targetType: 'run',
      targetId: `run-${i}`,
      details: { n: i, nested: { b: 1, a: 2 } },
    };
    const hash = auditHash(prev, fields);
    events.push({ ...fields, id: BigInt(i + 1), prevHash: prev, hash });
    prev = hash;
  }
  return events;
}

describe('audit hash chain', () => {
  it('verifies an untouched chain', () => {
    expect(checkChain(chain(5), AUDIT_GENESIS)).toMatchObject({ ok: true, good: 5 });
  });

  it('detects an edited event', () => {
    const events = chain(5);
    events[2] = { ...events[2]!, actorLabel: 'someone-else' };
    expect(checkChain(events, AUDIT_GENESIS)).toMatchObject({ ok: false, brokenAt: '3', good: 2 });
  });

  it('detects a deleted event', () => {
    const events = chain(5);
    events.splice(1, 1);
    expect(checkChain(events, AUDIT_GENESIS)).toMatchObject({ ok: false, brokenAt: '3' });
  });

  it('detects an edited hash even when the row is re-hashed', () => {
    const events = chain(3);
    const { id, prevHash, hash, ...fields } = events[0]!;
    void hash;
    const forged = { ...fields, details: { n: 99 } };
    events[0] = { ...forged, id, prevHash, hash: auditHash(prevHash, forged) };
    // The forged row itself checks out, but the next one no longer links to it.
    expect(checkChain(events, AUDIT_GENESIS)).toMatchObject({ ok: false, brokenAt: '2' });
  });

  it('hashes independently of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] } })).toBe('{"a":{"c":[3,{"e":0,"f":1}],"d":2},"b":1}');
  });
});
