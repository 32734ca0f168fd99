import crypto from 'node:crypto';
import type { Actor } from '@/server/auth/permissions';
import type { Tx } from '@/server/shared/db';
import type { AuditAction } from './actions';

/** The hash every chain starts from. */
export const AUDIT_GENESIS = '0'.repeat(64);
// Arbitrary constant naming the advisory lock that serialises appends to the chain (one writer at a time per chain).
const AUDIT_CHAIN_LOCK = 7_301_001;

export interface AuditInput {
  /** One of the declared `entity.verb` names (server/audit/actions.ts); never a free string. */
  action: AuditAction;
  targetType: string;
  targetId?: string | null;
  details?: Record<string, unknown>;
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

export interface ChainedFields {
  at: Date;
  actorType: string;
  actorId: string | null;
  actorLabel: string;
  action: string;
  targetType: string;
  targetId: string | null;
  details: unknown;
}

export function auditHash(prevHash: string, e: ChainedFields): string {
  const body = canonicalJson({ ...e, at: e.at.toISOString() });
  return crypto.createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/**
 * Appends one event to the tamper-evident audit chain. Must be called inside the transaction that makes the change,
 * so the change and its record commit or roll back together.
 */
export async function recordAudit(tx: Tx, actor: Actor, input: AuditInput): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`;
  const last = await tx.auditEvent.findFirst({ orderBy: { id: 'desc' }, select: { hash: true } });
  const prevHash = last?.hash ?? AUDIT_GENESIS;
  // A Date has millisecond precision, what the timestamp(3) column keeps, so the hash can be recomputed from the row.
  const at = new Date();
  const fields: ChainedFields = {
    at,
    actorType: actor.type,
    actorId: actor.id,
    actorLabel: actor.label,
    action: input.action,
    targetType: input.targetType,
    targetId: input.targetId ?? null,
    details: JSON.parse(canonicalJson(input.details ?? {})),
  };
  await tx.auditEvent.create({
    data: { ...fields, details: fields.details as object, prevHash, hash: auditHash(prevHash, fields) },
  });
}
