import type { Actor } from '@/server/auth/permissions';
import type { Tx } from '@/server/shared/db';
import type { AuditAction } from './actions';
import { AUDIT_GENESIS, auditChainKey, canonicalJson, CURRENT_ALG, hmacHash, type ChainedFields } from './chain-hash';

export { AUDIT_GENESIS, canonicalJson, type ChainedFields } from './chain-hash';

// Arbitrary constant naming the advisory lock that serialises appends to the chain (one writer at a time per chain).
const AUDIT_CHAIN_LOCK = 7_301_001;
// What the request columns keep: a request id is a uuid or a proxy's short token, an address at most an IPv6 text
// (45), a user agent rarely over 300 characters; longer values are cut so a hostile header cannot bloat the trail.
const MAX_REQUEST_ID = 100;
const MAX_IP = 45;
const MAX_USER_AGENT = 512;

export const AUDIT_RESULTS = ['ok', 'failed', 'refused'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export interface AuditInput {
  /** One of the declared `entity.verb` names (server/audit/actions.ts); never a free string. */
  action: AuditAction;
  targetType: string;
  targetId?: string | null;
  /** Parameters of the action, never secrets. */
  details?: Record<string, unknown>;
  /** What came of it: `ok` (the default), `failed` (attempted, did not work) or `refused` (not allowed). */
  result?: AuditResult;
}

const cut = (value: string | null | undefined, max: number): string | null =>
  value === null || value === undefined || value === '' ? null : value.slice(0, max);

/** The chained fields of one event by `actor`; `at` has millisecond precision, what the timestamp(3) column keeps. */
function fieldsOf(actor: Actor, input: AuditInput, at: Date): ChainedFields {
  return {
    at,
    actorType: actor.type,
    actorId: actor.id,
    actorLabel: actor.label,
    // A user acts as themselves; a token for its owner (its id stays in actorId); the system for nobody.
    actorUserId: actor.userId ?? (actor.type === 'user' ? actor.id : null),
    action: input.action,
    targetType: input.targetType,
    targetId: input.targetId ?? null,
    details: JSON.parse(canonicalJson(input.details ?? {})),
    result: input.result ?? 'ok',
    requestId: cut(actor.request?.id, MAX_REQUEST_ID),
    ip: cut(actor.request?.ip, MAX_IP),
    userAgent: cut(actor.request?.userAgent, MAX_USER_AGENT),
    alg: CURRENT_ALG,
  };
}

const CHAIN_STARTER: Actor = { type: 'system', id: null, label: 'system', role: 'ADMIN' };

/**
 * Appends one event to the audit chain. Must be called inside the transaction that makes the change, so the change
 * and its record commit or roll back together. The first append that finds the head still on the old unkeyed chain
 * (`sha256`) first writes `audit.chain-start`: an HMAC event whose prevHash is that head (also named in its details),
 * so the old rows stay as they are and verifiable, and rewriting any of them breaks the link into the keyed chain.
 */
export async function recordAudit(tx: Tx, actor: Actor, input: AuditInput): Promise<{ id: bigint; hash: string }> {
  const [row] = await recordAuditMany(tx, [{ actor, input }]);
  return row!;
}

/**
 * `recordAudit` for several events of one transaction, in the order given: the chain lock is taken and the head read
 * once, the hashes are chained in memory and the rows go in with one multi-row insert (the scheduler records a
 * batch of fired slots' runs this way). Ids are assigned in insertion order, which is the chain's order.
 */
export async function recordAuditMany(
  tx: Tx,
  events: ReadonlyArray<{ actor: Actor; input: AuditInput }>,
): Promise<Array<{ id: bigint; hash: string }>> {
  if (events.length === 0) return [];
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`;
  const key = auditChainKey();
  const head = await tx.auditEvent.findFirst({ orderBy: { id: 'desc' }, select: { id: true, hash: true, alg: true } });
  let prevHash = head?.hash ?? AUDIT_GENESIS;
  const at = new Date();
  const rows: Array<ChainedFields & { prevHash: string; hash: string }> = [];
  const push = (fields: ChainedFields) => {
    const hash = hmacHash(key, prevHash, fields);
    rows.push({ ...fields, prevHash, hash });
    prevHash = hash;
  };
  if (head && head.alg !== CURRENT_ALG) {
    const count = await tx.auditEvent.count();
    push(
      fieldsOf(
        CHAIN_STARTER,
        {
          action: 'audit.chain-start',
          targetType: 'audit_chain',
          details: { alg: CURRENT_ALG, previousAlg: head.alg, previousHead: { id: head.id.toString(), hash: head.hash }, previousEvents: count },
        },
        at,
      ),
    );
  }
  for (const e of events) push(fieldsOf(e.actor, e.input, at));
  // One INSERT … SELECT FROM unnest: the rows as column arrays, ids given in the order of the chain. A few hundred
  // events (a scheduler burst, a batch of finishes) cost one statement whose parameters are sixteen arrays, instead
  // of the ORM's per-row work (a tenth of the time at five hundred rows).
  const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
  const created = await tx.$queryRaw<Array<{ id: bigint; hash: string }>>`
    INSERT INTO "AuditEvent" ("at", "actorType", "actorId", "actorLabel", "actorUserId", "action", "targetType", "targetId", "details", "result",
                              "requestId", "ip", "userAgent", "alg", "prevHash", "hash")
    SELECT a, aty, aid, alb, auid, act, tty, tid, det, res, rid, ip, ua, alg, ph, h
    FROM unnest(${rows.map((r) => r.at.toISOString())}::timestamp[], ${col('actorType')}::text[], ${col('actorId')}::text[], ${col('actorLabel')}::text[],
                ${col('actorUserId')}::text[], ${col('action')}::text[], ${col('targetType')}::text[], ${col('targetId')}::text[],
                ${rows.map((r) => JSON.stringify(r.details))}::jsonb[], ${col('result')}::text[], ${col('requestId')}::text[], ${col('ip')}::text[],
                ${col('userAgent')}::text[], ${col('alg')}::text[], ${col('prevHash')}::text[], ${col('hash')}::text[])
         WITH ORDINALITY AS t(a, aty, aid, alb, auid, act, tty, tid, det, res, rid, ip, ua, alg, ph, h, ord)
    ORDER BY ord
    RETURNING id, hash`;
  // The rows come back in insertion order; the chain-start event, if any, is not the caller's.
  const byHash = new Map(created.map((c) => [c.hash, c]));
  return rows.slice(rows.length - events.length).map((r) => byHash.get(r.hash)!);
}
