import { z } from 'zod';

// A year: an objective looser than that is no objective, and the bound keeps a typo (a count of milliseconds)
// from being stored as a target nobody could reason about.
const MAX_OBJECTIVE_SECONDS = 366 * 24 * 3600;

const Name = z.string().trim().min(1, 'name is required').max(100, 'name is at most 100 characters');

const Seconds = (field: string) =>
  z
    .number({ error: `${field} must be a number of seconds` })
    .int(`${field} must be a whole number of seconds`)
    .positive(`${field} must be at least 1 second`)
    .max(MAX_OBJECTIVE_SECONDS, `${field} is at most ${MAX_OBJECTIVE_SECONDS} seconds (a year)`);

// Approvals a restore of the tier's sources needs: 0 (none) to 5. More than five distinct approvers is a committee
// nobody can assemble during an outage.
const MAX_RESTORE_APPROVALS = 5;
const RestoreApprovals = z
  .number({ error: 'restoreApprovals must be a number of approvals' })
  .int('restoreApprovals must be a whole number')
  .min(0, 'restoreApprovals is at least 0')
  .max(MAX_RESTORE_APPROVALS, `restoreApprovals is at most ${MAX_RESTORE_APPROVALS}`);

// A paragraph; long enough for "who to call and why", short enough to show on a card.
const Description = z.string().trim().max(1_000, 'description is at most 1000 characters');
// An e-mail address, a team or a pager handle.
const Contact = z.string().trim().max(200, 'contact is at most 200 characters');

/** Empty text clears a field: forms send '' for a field the user emptied. */
const clearable = <T extends z.ZodType<string>>(s: T) =>
  s.nullable().optional().transform((v) => (v === '' ? null : v));

export const CreateTierInput = z.strictObject({
  name: Name,
  rpoSeconds: Seconds('rpoSeconds'),
  rtoSeconds: Seconds('rtoSeconds'),
  /** Omitted: the column's default (1). */
  restoreApprovals: RestoreApprovals.optional(),
  description: clearable(Description),
});
export type CreateTierInput = z.infer<typeof CreateTierInput>;

export const UpdateTierInput = z
  .strictObject({
    name: Name.optional(),
    rpoSeconds: Seconds('rpoSeconds').optional(),
    rtoSeconds: Seconds('rtoSeconds').optional(),
    restoreApprovals: RestoreApprovals.optional(),
    description: clearable(Description),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), {
    message: 'nothing to change: give name, rpoSeconds, rtoSeconds, restoreApprovals or description',
  });
export type UpdateTierInput = z.infer<typeof UpdateTierInput>;

const TierId = z.string({ error: 'tierId must be a tier id' }).uuid({ error: 'tierId must be a tier id' });

export const CreateServiceInput = z.strictObject({
  name: Name,
  /** The tier whose objectives the service is held to; null (or omitted): none yet, shown as such. */
  tierId: TierId.nullable().optional(),
  description: clearable(Description),
  contact: clearable(Contact),
});
export type CreateServiceInput = z.infer<typeof CreateServiceInput>;

export const UpdateServiceInput = z
  .strictObject({
    name: Name.optional(),
    tierId: TierId.nullable().optional(),
    description: clearable(Description),
    contact: clearable(Contact),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'nothing to change: give name, tierId, description or contact' });
export type UpdateServiceInput = z.infer<typeof UpdateServiceInput>;

export const TierIdParam = z.string().uuid();
export const ServiceIdParam = z.string().uuid();
