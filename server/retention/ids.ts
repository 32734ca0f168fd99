import { z } from 'zod';
import type { Actor } from '@/server/auth/permissions';
import { SYSTEM_ACTOR } from '@/server/auth/permissions';

export const PolicyId = z.string().uuid({ message: 'not a valid policy id' });
export const RecoveryPointId = z.string().uuid({ message: 'not a valid recovery point id' });

/** The actor the prune job acts as: the system, labelled so the audit trail says retention did it. */
export const RETENTION_ACTOR: Actor = { ...SYSTEM_ACTOR, label: 'retention' };

/** A free-text justification, recorded in the audit trail. */
export const Reason = z
  .string({ error: 'reason is required' })
  .trim()
  .min(1, { error: 'reason is required' })
  // Long enough for a ticket reference and a sentence; longer is a paste error that would bloat the audit chain.
  .max(500, { error: 'reason is at most 500 characters' });

/** Retention counts a point as verified once a verification has stamped it (`verifiedAt`). */
export const isVerified = (p: { verifiedAt: Date | null }): boolean => p.verifiedAt !== null;
