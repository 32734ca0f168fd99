import type { ChainReport } from '@/server/audit';

/** One audit event as `GET /api/v1/audit` answers it (JSON: ids and times as strings). */
export interface AuditEvent {
  id: string;
  at: string;
  actorType: string;
  actorId: string | null;
  /** The person behind the action: the user, or a token's owner. */
  actorUserId: string | null;
  actorLabel: string;
  action: string;
  targetType: string;
  targetId: string | null;
  details: unknown;
  /** ok | failed | refused. */
  result: string;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  alg: string;
  prevHash: string;
  hash: string;
}

/** `GET /api/v1/audit/verify`. */
export type AuditVerifyReport = ChainReport;
