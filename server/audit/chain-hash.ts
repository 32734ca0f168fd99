import crypto from 'node:crypto';
import { masterKey } from '@/server/shared/secrets';

/** The hash every chain starts from. */
export const AUDIT_GENESIS = '0'.repeat(64);

/**
 * `sha256`: the first chain (before issue 9), unkeyed, over the eight original fields; kept verifiable, never written
 * again. `hmac-sha256`: every event since, keyed by `auditChainKey()`, over every stored field.
 */
export const AUDIT_ALGS = ['sha256', 'hmac-sha256'] as const;
export type AuditAlg = (typeof AUDIT_ALGS)[number];
export const CURRENT_ALG: AuditAlg = 'hmac-sha256';

/** What an event's hash covers (everything stored but `id`, `prevHash` and `hash`). */
export interface ChainedFields {
  at: Date;
  actorType: string;
  actorId: string | null;
  actorLabel: string;
  /** The person behind the action (the user, or the owner of the token `actorId` names). */
  actorUserId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  details: unknown;
  /** ok | failed | refused */
  result: string;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  alg: string;
}

/** Deterministic JSON (sorted keys) so the hash does not depend on how jsonb re-orders keys. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The first chain's hash: sha256(prevHash + "\n" + canonical JSON of the eight fields it had). Anyone can recompute
 * it, which is why it is no longer written: only the HMAC event that follows the old head seals that prefix.
 */
export function legacyHash(prevHash: string, e: ChainedFields): string {
  const { at, actorType, actorId, actorLabel, action, targetType, targetId, details } = e;
  const body = canonicalJson({ at: at.toISOString(), actorType, actorId, actorLabel, action, targetType, targetId, details });
  return crypto.createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** HMAC-SHA256(key, prevHash + "\n" + canonical JSON of every chained field, `alg` included). */
export function hmacHash(key: Buffer, prevHash: string, e: ChainedFields): string {
  // Picked one by one: a stored row carries more (id, prevHash, hash), and what is hashed must not depend on that.
  const { actorType, actorId, actorLabel, actorUserId, action, targetType, targetId, details, result, requestId, ip, userAgent, alg } = e;
  const chained = { actorType, actorId, actorLabel, actorUserId, action, targetType, targetId, details, result, requestId, ip, userAgent, alg };
  const body = canonicalJson({ ...chained, at: e.at.toISOString() });
  return crypto.createHmac('sha256', key).update(prevHash).update('\n').update(body).digest('hex');
}

/**
 * What an event's hash should be under its own `alg`, or null for an alg this code does not know (then the row was
 * changed: nothing ever wrote it). A `sha256` row whose columns added with the HMAC chain are not at their defaults
 * was changed too: no such row was ever written, and the legacy hash does not cover those columns.
 */
export function expectedHash(key: Buffer, prevHash: string, e: ChainedFields): string | null {
  if (e.alg === 'hmac-sha256') return hmacHash(key, prevHash, e);
  if (e.alg !== 'sha256') return null;
  const untouched = e.actorUserId === null && e.result === 'ok' && e.requestId === null && e.ip === null && e.userAgent === null;
  return untouched ? legacyHash(prevHash, e) : null;
}

// HKDF parameters: fixed and public; the secret is the master key alone. A new `info` would start a new key (v2).
const KEY_SALT = 'lifeboat-audit-chain';
const KEY_INFO = 'audit-hmac-v1';
const KEY_BYTES = 32; // HMAC-SHA256's block-size-safe key length

let cached: { master: Buffer; key: Buffer } | undefined;

/**
 * The audit chain's HMAC key: HKDF-SHA256 of the master key (LIFEBOAT_MASTER_KEY or the data directory's key file).
 * It lives only in process memory and is never stored in the database, so whoever can write the catalog cannot
 * recompute a valid hash for a row they changed or forged. Changing the master key makes every HMAC event fail to
 * verify: the master key must be kept for the audit trail to prove itself.
 */
export function auditChainKey(master: Buffer = masterKey()): Buffer {
  if (cached?.master.equals(master)) return cached.key;
  const key = Buffer.from(crypto.hkdfSync('sha256', master, KEY_SALT, KEY_INFO, KEY_BYTES));
  cached = { master, key };
  return key;
}
