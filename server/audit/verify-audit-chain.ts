import { authorize } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import type { VerbContext } from '@/server/shared/context';
import { checkAnchor, type AnchorCheck } from './anchors';
import { AUDIT_GENESIS, auditChainKey, expectedHash, type ChainedFields } from './chain-hash';

/** What can be wrong with an event, as well as the chain lets verify tell. */
export type AuditProblem = 'changed' | 'missing' | 'inserted' | 'out of order';

export interface FirstBad {
  /** The first event that does not verify (for `missing`: the first event after the gap). */
  id: string;
  problem: AuditProblem;
  /** One sentence for the operator. */
  detail: string;
}

export interface ChainReport {
  /** The chain verifies and the newest anchor on the destinations (if any) is in it. */
  ok: boolean;
  /** Events that verified, from the first, before the first bad one (all of them when the chain is intact). */
  checked: number;
  firstBad: FirstBad | null;
  anchor: AnchorCheck;
  /** The last event that verified: what an anchor written now would record. */
  head: { sequence: string; hash: string } | null;
  verifiedAt: string;
}

export interface StoredEvent extends ChainedFields {
  id: bigint;
  prevHash: string;
  hash: string;
}

/** Where a walk has got to: the next event must link to `prevHash`. */
export interface ChainState {
  prevHash: string;
  prevId: bigint | null;
  /** An HMAC event has verified: from then on an unkeyed (`sha256`) event is one anybody could have written. */
  keyed: boolean;
}

export const CHAIN_START: ChainState = { prevHash: AUDIT_GENESIS, prevId: null, keyed: false };

export type PageResult = { ok: true; state: ChainState; good: number } | { ok: false; state: ChainState; good: number; firstBad: FirstBad };

/** The event's own hash checks out under its alg, and an unkeyed event does not follow keyed ones. */
function selfConsistent(key: Buffer, e: StoredEvent, keyed: boolean): boolean {
  if (keyed && e.alg !== 'hmac-sha256') return false;
  const expected = expectedHash(key, e.prevHash, e);
  return expected !== null && expected === e.hash;
}

/**
 * Says what is wrong with `events[i]`, which does not verify after `state`. `events[i+1…]` are read ahead:
 * - its own hash is wrong and the next event links past it to the one before → `inserted` (a forged row);
 * - its own hash is wrong otherwise → `changed` (edited: content, prevHash or hash);
 * - it is intact but does not link: the event it should follow comes later → `out of order` (rows swapped); the
 *   first keyed event whose unkeyed predecessor no longer has the hash it sealed → `changed` (that prefix was
 *   rewritten and re-hashed); else the events between are gone → `missing`.
 */
function classify(key: Buffer, events: readonly StoredEvent[], i: number, state: ChainState): FirstBad {
  const e = events[i]!;
  const id = e.id.toString();
  const after = events.slice(i + 1);
  const next = after[0];
  const linked = e.prevHash === state.prevHash;
  if (!selfConsistent(key, e, state.keyed)) {
    if (next && next.prevHash === state.prevHash && selfConsistent(key, next, true)) {
      return { id, problem: 'inserted', detail: `event #${id} is not part of the chain: the next event (#${next.id}) links to the one before it` };
    }
    if (state.keyed && e.alg !== 'hmac-sha256' && !(next && next.prevHash === e.hash)) {
      return { id, problem: 'inserted', detail: `event #${id} is unkeyed (${e.alg}) after the HMAC chain began: nothing writes such events any more` };
    }
    return {
      id,
      problem: 'changed',
      detail: !linked
        ? `event #${id} does not match its hash and does not link to the event before it`
        : next
          ? `event #${id} does not match its hash: its content was changed`
          : // The newest event: nothing after it tells an edit from a forged append.
            `event #${id}, the newest, does not match its hash: changed, or forged and appended`,
    };
  }
  if (after.some((later) => later.prevHash === state.prevHash) || after.some((later) => later.hash === e.prevHash)) {
    return { id, problem: 'out of order', detail: `event #${id} is intact but stored out of its place in the chain (rows swapped or moved)` };
  }
  if (state.prevId === null) {
    return { id, problem: 'missing', detail: `the first events are gone: event #${id}, now the oldest, links to an event that is not stored` };
  }
  const sealed = (e.details as { previousHead?: { id?: unknown } } | null)?.previousHead?.id;
  if (!state.keyed && e.alg === 'hmac-sha256' && e.action === 'audit.chain-start' && sealed === state.prevId.toString()) {
    const head = state.prevId.toString();
    return {
      id: head,
      problem: 'changed',
      detail: `the unkeyed (sha256) events up to #${head} were rewritten and re-hashed: #${head} no longer has the hash the HMAC chain sealed in event #${id}`,
    };
  }
  return { id, problem: 'missing', detail: `events between #${state.prevId} and #${id} are gone: #${id} links to an event that is not stored` };
}

/**
 * Checks the first `count` events of one page (in id order) against `state`; the rest of `events` is only read
 * ahead to tell what is wrong. Pure, so tampering is testable without a database.
 */
export function checkChain(events: readonly StoredEvent[], state: ChainState, key: Buffer, count = events.length): PageResult {
  let good = 0;
  for (let i = 0; i < Math.min(count, events.length); i++) {
    const e = events[i]!;
    if (e.prevHash !== state.prevHash || !selfConsistent(key, e, state.keyed)) {
      return { ok: false, state, good, firstBad: classify(key, events, i, state) };
    }
    state = { prevHash: e.hash, prevId: e.id, keyed: state.keyed || e.alg === 'hmac-sha256' };
    good++;
  }
  return { ok: true, state, good };
}

// 1000 rows a page keeps memory flat on long histories; 100 more are read ahead to classify a bad event (a swap
// or a gap further apart than that is reported as missing rather than out of order).
const PAGE = 1000;
const LOOKAHEAD = 100;

/** Walks the whole chain from the first event, a page at a time, and stops at the first bad event. */
export async function walkAuditChain(key: Buffer = auditChainKey()): Promise<{ checked: number; firstBad: FirstBad | null; state: ChainState }> {
  let state = CHAIN_START;
  let checked = 0;
  for (;;) {
    const page = await db().auditEvent.findMany({
      where: state.prevId === null ? {} : { id: { gt: state.prevId } },
      orderBy: { id: 'asc' },
      take: PAGE + LOOKAHEAD,
    });
    if (page.length === 0) return { checked, firstBad: null, state };
    const result = checkChain(page, state, key, PAGE);
    checked += result.good;
    if (!result.ok) return { checked, firstBad: result.firstBad, state: result.state };
    state = result.state;
  }
}

/**
 * Recomputes the chain and checks it against the newest anchor found on the destinations, so that an edited,
 * forged, deleted or reordered event, a truncated tail and a catalog restored from an old backup all show.
 */
export async function verifyAuditChain(): Promise<ChainReport> {
  const key = auditChainKey();
  const walk = await walkAuditChain(key);
  const anchor = await checkAnchor(key);
  const head = walk.state.prevId === null ? null : { sequence: walk.state.prevId.toString(), hash: walk.state.prevHash };
  return {
    ok: walk.firstBad === null && anchor.ok !== false,
    checked: walk.checked,
    firstBad: walk.firstBad,
    anchor,
    head,
    verifiedAt: new Date().toISOString(),
  };
}

/** `GET /api/v1/audit/verify`: whoever may read the trail may check it. */
export async function verifyAuditTrail(ctx: VerbContext): Promise<ChainReport> {
  authorize(ctx.actor, 'audit:read');
  return verifyAuditChain();
}
