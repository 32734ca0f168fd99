import { z } from 'zod';
import { BREAK_GLASS_MIN_REASON } from './rules';

// A paragraph: why the restore is needed, read by the approvers and kept in the audit trail.
const REASON_MAX = 1_000;
// A comment on a decision: a sentence or two.
const COMMENT_MAX = 1_000;
// A database (or other target) name; engines cap theirs lower.
const CONFIRM_MAX = 200;

const Target = z.record(z.string(), z.unknown(), { message: 'target must be an object' });
const Mode = z.string().max(50, 'mode is at most 50 characters');
const Reason = z.string().trim().max(REASON_MAX, `reason is at most ${REASON_MAX} characters`);
const Confirm = z.string().max(CONFIRM_MAX, `confirm is at most ${CONFIRM_MAX} characters`);

export const RestoreRequestId = z.string().uuid();

/** `POST /api/v1/restore-requests`. `confirm`: the typed confirmation a destructive mode asks for. */
export const CreateRestoreRequestInput = z.strictObject({
  recoveryPointId: z.string({ error: 'recoveryPointId must be a recovery point id' }).uuid({ error: 'recoveryPointId must be a recovery point id' }),
  target: Target,
  mode: Mode.optional(),
  reason: Reason.min(1, 'reason is required: say why this restore is needed'),
  confirm: Confirm.optional(),
});
export type CreateRestoreRequestInput = z.infer<typeof CreateRestoreRequestInput>;

/** `POST /api/v1/recovery-points/{id}/restores`: today's body, plus the optional reason and confirmation. */
export const RestoreFromPointInput = z.object({
  target: Target,
  mode: Mode.optional(),
  reason: Reason.optional(),
  confirm: Confirm.optional(),
});
export type RestoreFromPointInput = z.infer<typeof RestoreFromPointInput>;

/** `PATCH /api/v1/restore-requests/{id}`: what the requester may change while it waits. */
export const UpdateRestoreRequestInput = z
  .strictObject({
    recoveryPointId: z.string().uuid({ error: 'recoveryPointId must be a recovery point id' }).optional(),
    target: Target.optional(),
    mode: Mode.optional(),
    reason: Reason.min(1, 'reason cannot be emptied').optional(),
    confirm: Confirm.optional(),
  })
  .refine((v) => v.recoveryPointId !== undefined || v.target !== undefined || v.mode !== undefined || v.reason !== undefined, {
    message: 'nothing to change: give recoveryPointId, target, mode or reason',
  });
export type UpdateRestoreRequestInput = z.infer<typeof UpdateRestoreRequestInput>;

/** `POST …/approve` and `POST …/reject`. */
export const DecideInput = z.strictObject({
  comment: z.string().trim().max(COMMENT_MAX, `comment is at most ${COMMENT_MAX} characters`).optional(),
});
export type DecideInput = z.infer<typeof DecideInput>;

/** `POST …/break-glass`. */
export const BreakGlassInput = z.strictObject({
  reason: z
    .string({ error: 'reason is required' })
    .trim()
    .min(BREAK_GLASS_MIN_REASON, `reason must be at least ${BREAK_GLASS_MIN_REASON} characters: say why this cannot wait for approvals`)
    .max(REASON_MAX, `reason is at most ${REASON_MAX} characters`),
});
export type BreakGlassInput = z.infer<typeof BreakGlassInput>;

export const RESTORE_REQUEST_STATUSES = ['PENDING_APPROVAL', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED', 'EXECUTED'] as const;

// A page of the inbox; more than this is a search, not a list.
const LIST_MAX = 500;

export const BREAK_GLASS_FILTERS = ['true', 'false', 'unacknowledged'] as const;

/**
 * `GET /api/v1/restore-requests?status=&mine=&breakGlass=&limit=` (query strings). `breakGlass`: `true` the requests
 * an admin broke glass on, `false` the others, `unacknowledged` those broken glass on that no approver acknowledged yet.
 */
export const ListRestoreRequestsInput = z.strictObject({
  status: z.enum(RESTORE_REQUEST_STATUSES, { error: `status must be one of ${RESTORE_REQUEST_STATUSES.join(', ')}` }).optional(),
  mine: z
    .enum(['true', 'false', '1', '0'], { error: 'mine must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .optional(),
  breakGlass: z.enum(BREAK_GLASS_FILTERS, { error: `breakGlass must be one of ${BREAK_GLASS_FILTERS.join(', ')}` }).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'limit must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1, 'limit is at least 1').max(LIST_MAX, `limit is at most ${LIST_MAX}`))
    .optional(),
});
export type ListRestoreRequestsInput = z.infer<typeof ListRestoreRequestsInput>;
