import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AUDIT_GENESIS, auditChainKey, canonicalJson, hmacHash, legacyHash, type ChainedFields } from './chain-hash';
import { CHAIN_START, checkChain, type StoredEvent } from './verify-audit-chain';

const KEY = auditChainKey(crypto.randomBytes(32));

function fields(i: number, alg: string): ChainedFields {
  return {
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    actorType: 'user',
    actorId: 'u1',
    actorLabel: 'ops@example.com',
    actorUserId: alg === 'sha256' ? null : 'u1',
    action: 'backup.request',
    targetType: 'run',
    targetId: `run-${i}`,
    details: { n: i, nested: { b: 1, a: 2 } },
    result: 'ok',
    requestId: alg === 'sha256' ? null : `req-${i}`,
    ip: alg === 'sha256' ? null : '10.0.0.1',
    userAgent: alg === 'sha256' ? null : 'test',
    alg,
  };
}

/** `legacy` unkeyed events (the pre-HMAC chain), then, if any keyed ones follow, `audit.chain-start` and `keyed` more. */
function chain(legacy: number, keyed: number, key = KEY): StoredEvent[] {
  const events: StoredEvent[] = [];
  let prev = AUDIT_GENESIS;
  const push = (f: ChainedFields) => {
    const hash = f.alg === 'sha256' ? legacyHash(prev, f) : hmacHash(key, prev, f);
    events.push({ ...f, id: BigInt(events.length + 1), prevHash: prev, hash });
    prev = hash;
  };
  for (let i = 0; i < legacy; i++) push(fields(i, 'sha256'));
  if (legacy > 0 && keyed > 0) {
    const head = events.at(-1)!;
    push({
      ...fields(legacy, 'hmac-sha256'),
      actorType: 'system',
      actorId: null,
      actorUserId: null,
      actorLabel: 'system',
      action: 'audit.chain-start',
      targetType: 'audit_chain',
      targetId: null,
      details: { alg: 'hmac-sha256', previousAlg: 'sha256', previousHead: { id: head.id.toString(), hash: head.hash }, previousEvents: legacy },
    });
  }
  for (let i = 0; i < keyed; i++) push(fields(legacy + 1 + i, 'hmac-sha256'));
  return events;
}

const renumber = (events: StoredEvent[]) => events.map((e, i) => ({ ...e, id: BigInt(i + 1) }));
const check = (events: StoredEvent[], key = KEY) => checkChain(events, CHAIN_START, key);

describe('audit chain', () => {
  it('verifies an untouched chain: the old sha256 prefix, the chain start and the HMAC events', () => {
    expect(check(chain(4, 5))).toMatchObject({ ok: true, good: 10 });
    expect(check(chain(0, 5))).toMatchObject({ ok: true, good: 5 });
    expect(check(chain(5, 0))).toMatchObject({ ok: true, good: 5 });
  });

  it('names a changed event (content edited, hash kept)', () => {
    const events = chain(2, 5);
    events[4] = { ...events[4]!, actorLabel: 'someone-else' };
    expect(check(events)).toMatchObject({ ok: false, good: 4, firstBad: { id: '5', problem: 'changed' } });
  });

  it('covers the request columns and the result: changing any of them is a change', () => {
    for (const edit of [{ ip: '192.0.2.1' }, { userAgent: 'x' }, { requestId: 'r' }, { result: 'failed' }, { actorUserId: 'u2' }, { alg: 'sha256' }]) {
      const events = chain(0, 4);
      events[1] = { ...events[1]!, ...edit };
      expect(check(events).ok, JSON.stringify(edit)).toBe(false);
      expect(check(events), JSON.stringify(edit)).toMatchObject({ firstBad: { id: '2' } });
    }
  });

  it('names the event after a deleted one as missing', () => {
    const events = chain(0, 6);
    events.splice(2, 1);
    expect(check(events)).toMatchObject({ ok: false, good: 2, firstBad: { id: '4', problem: 'missing' } });
    const head = chain(0, 3).slice(1);
    expect(check(head)).toMatchObject({ ok: false, good: 0, firstBad: { id: '2', problem: 'missing' } });
  });

  it('names a forged event put between two genuine ones as inserted', () => {
    const events = chain(0, 5);
    const forgedFields = { ...fields(99, 'hmac-sha256'), action: 'key.export' };
    // Without the key the forger can only guess; with the wrong key, the hash is as good as a guess.
    const forged: StoredEvent = { ...forgedFields, id: 0n, prevHash: events[1]!.hash, hash: hmacHash(crypto.randomBytes(32), events[1]!.hash, forgedFields) };
    const tampered = renumber([...events.slice(0, 2), forged, ...events.slice(2)]);
    expect(check(tampered)).toMatchObject({ ok: false, good: 2, firstBad: { id: '3', problem: 'inserted' } });
  });

  it('names a self-consistent unkeyed event after the HMAC chain began as inserted', () => {
    const events = chain(2, 3);
    const f = fields(50, 'sha256');
    const last = events.at(-1)!;
    events.push({ ...f, id: 7n, prevHash: last.hash, hash: legacyHash(last.hash, f) });
    expect(check(events)).toMatchObject({ ok: false, good: 6, firstBad: { id: '7', problem: 'inserted' } });
  });

  it('names swapped events as out of order', () => {
    const events = chain(0, 6);
    const swapped = renumber([...events.slice(0, 2), events[3]!, events[2]!, ...events.slice(4)]);
    expect(check(swapped)).toMatchObject({ ok: false, good: 2, firstBad: { id: '3', problem: 'out of order' } });
    const apart = renumber([events[0]!, events[4]!, events[2]!, events[3]!, events[1]!, events[5]!]);
    expect(check(apart)).toMatchObject({ ok: false, good: 1, firstBad: { id: '2', problem: 'out of order' } });
  });

  it('detects an edit of the old sha256 prefix, also when the attacker re-hashes it', () => {
    const naive = chain(4, 3);
    naive[1] = { ...naive[1]!, targetId: 'elsewhere' };
    expect(check(naive)).toMatchObject({ ok: false, good: 1, firstBad: { id: '2', problem: 'changed' } });

    // Re-hashing the unkeyed prefix makes it self-consistent, but the HMAC chain start sealed the old head's hash.
    const rehashed = chain(4, 3);
    let prev = AUDIT_GENESIS;
    for (let i = 0; i < 4; i++) {
      const e = i === 1 ? { ...rehashed[i]!, targetId: 'elsewhere' } : rehashed[i]!;
      const { id, prevHash, hash, ...f } = e;
      void prevHash;
      void hash;
      rehashed[i] = { ...f, id, prevHash: prev, hash: legacyHash(prev, f) };
      prev = rehashed[i]!.hash;
    }
    expect(check(rehashed)).toMatchObject({ ok: false, good: 4, firstBad: { id: '4', problem: 'changed' } });
    expect(check(rehashed)).toMatchObject({ firstBad: { detail: expect.stringMatching(/rewritten/) } });
  });

  it('refuses new columns filled in on an old sha256 event (the legacy hash does not cover them)', () => {
    const events = chain(3, 2);
    events[0] = { ...events[0]!, result: 'refused' };
    expect(check(events)).toMatchObject({ ok: false, firstBad: { id: '1', problem: 'changed' } });
  });

  it('fails every keyed event under another master key', () => {
    expect(check(chain(2, 3), auditChainKey(crypto.randomBytes(32)))).toMatchObject({ ok: false, good: 2, firstBad: { id: '3' } });
  });

  it('checks only `count` events of a page and reads the rest ahead', () => {
    const events = chain(0, 5);
    events.splice(3, 1);
    // The gap is past the checked part: ok, and the state ends at event 2.
    expect(checkChain(events, CHAIN_START, KEY, 2)).toMatchObject({ ok: true, good: 2, state: { prevId: 2n } });
  });

  it('hashes independently of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] } })).toBe('{"a":{"c":[3,{"e":0,"f":1}],"d":2},"b":1}');
  });

  it('derives the key from the master key, never equal to it', () => {
    const master = crypto.randomBytes(32);
    expect(auditChainKey(master).equals(master)).toBe(false);
    expect(auditChainKey(Buffer.from(master)).equals(auditChainKey(master))).toBe(true);
    expect(auditChainKey(crypto.randomBytes(32)).equals(auditChainKey(master))).toBe(false);
  });
});
