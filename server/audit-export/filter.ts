import { z } from 'zod';
import { AUDIT_ACTIONS } from '@/server/audit/actions';
import { IsoDateTimeInRange } from '@/server/shared/bounded-date';
import type { Prisma } from '@/server/shared/db';

// Same bound as the list's target filters (server/audit/list-audit-events.ts): ids are uuids, nouns are short; 200
// leaves room and stops pastes. Actor labels are e-mail addresses or token names, well within it too.
const MAX_FILTER_CHARS = 200;

/** `?actor=` (absent) and `?actor=` (empty) mean the same: no filter. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const Text = (field: string) =>
  z.string().trim().min(1, { message: `${field} must not be blank` }).max(MAX_FILTER_CHARS, { message: `${field} must be at most ${MAX_FILTER_CHARS} characters` });

/**
 * The audit filters, named as the list's (`GET /api/v1/audit`): `actor` (a user or token id, the person behind a
 * token, or part of the actor's label, case-insensitive), `action` (one declared `entity.verb`), `targetType` and
 * `targetId` (exact), `from` and `to` (ISO date-times, both inclusive).
 */
export const AuditEventFilter = z
  .object({
    actor: optional(Text('actor')),
    action: optional(z.enum(AUDIT_ACTIONS, { error: 'action must be one of the declared audit actions, e.g. restore.request' })),
    targetType: optional(Text('targetType')),
    targetId: optional(Text('targetId')),
    from: optional(IsoDateTimeInRange),
    to: optional(IsoDateTimeInRange),
  })
  .refine((f) => f.from === undefined || f.to === undefined || Date.parse(f.from) <= Date.parse(f.to), {
    path: ['to'],
    message: 'to must not be before from',
  });
export type AuditEventFilter = z.infer<typeof AuditEventFilter>;

/** The PostgreSQL condition for a filter; `{}` when nothing is filtered. */
export function auditEventWhere(f: AuditEventFilter): Prisma.AuditEventWhereInput {
  const and: Prisma.AuditEventWhereInput[] = [];
  if (f.actor !== undefined) {
    and.push({
      OR: [{ actorId: f.actor }, { actorUserId: f.actor }, { actorLabel: { contains: f.actor, mode: 'insensitive' } }],
    });
  }
  if (f.action !== undefined) and.push({ action: f.action });
  if (f.targetType !== undefined) and.push({ targetType: f.targetType });
  if (f.targetId !== undefined) and.push({ targetId: f.targetId });
  if (f.from !== undefined) and.push({ at: { gte: new Date(f.from) } });
  if (f.to !== undefined) and.push({ at: { lte: new Date(f.to) } });
  return and.length === 0 ? {} : { AND: and };
}
