import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { afterCommit, withTransaction, type VerbContext } from '@/server/shared/context';
import { db } from '@/server/shared/db';
import { env } from '@/server/shared/env';
import { DomainError, notFound } from '@/server/shared/errors';
import { logger } from '@/server/shared/logger';
import { driverForDestination, objectLockModeOf } from '@/server/storage/for-destination';
import { storedKeysAt, type ObjectHolder } from '@/server/recovery-points/readable-objects';
import { Reason, RecoveryPointId } from './ids';
import { STORED_OBJECT_FIELDS } from './prune-guards';

export const LockRecoveryPointInput = z.strictObject({
  until: z.iso.datetime({ offset: true, error: 'until must be an ISO 8601 date-time, e.g. 2030-01-01T00:00:00Z' }).transform((s) => new Date(s)),
  reason: Reason,
  /**
   * The source's name, typed again: nobody can undo a lock, so it takes more than a click. The source's name rather
   * than the point's id: a person can read and type it, and it says whose data is being bound.
   */
  confirm: z.string({ error: "confirm must repeat the source's name" }).max(200),
});
export type LockRecoveryPointInput = z.input<typeof LockRecoveryPointInput>;

/** One destination's S3 Object Lock outcome after a catalog lock. */
export interface ObjectLockResult {
  destinationId: string;
  ok: boolean;
  error?: string;
}

/**
 * Locks a recovery point against deletion until `until` (WORM semantics in the catalog). A lock can only ever be
 * extended: shortening it would make the lock worthless, since whoever may lock could then unlock.
 *
 * After the commit, the same retention is set on the stored objects (every object of the point, `pointObjects`, and
 * the manifest) of the primary and of every OK copy whose destination has `objectLock` configured. The catalog lock
 * stands whatever the storage answers: a failure is logged, audited and returned in `objectLocks`, so an operator can fix the bucket and lock again.
 * In a caller's transaction (`ctx.tx`, opened by `withTransaction`), the object locks wait for its commit (an S3
 * lock cannot be undone if it rolled back) and `objectLocks` is filled then.
 */
export async function lockRecoveryPoint(ctx: VerbContext, rawPointId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'restore:approve');
  const id = RecoveryPointId.safeParse(rawPointId);
  if (!id.success) throw notFound('recovery point', String(rawPointId));
  const input = LockRecoveryPointInput.parse(raw);
  if (input.until.getTime() <= Date.now()) throw fieldError('until', 'until must be in the future');
  const maxYears = env().LIFEBOAT_MAX_LOCK_YEARS;
  if (input.until.getTime() > maxLockUntil(maxYears).getTime()) {
    throw fieldError('until', `until is more than ${maxYears} years ahead (LIFEBOAT_MAX_LOCK_YEARS): a lock cannot be shortened, so a typo would bind the point for good`);
  }

  const locked = await withTransaction(ctx, async (tx) => {
    const point = await tx.recoveryPoint.findUnique({
      where: { id: id.data },
      select: { id: true, sourceId: true, lockedUntil: true, source: { select: { name: true } } },
    });
    if (!point) throw notFound('recovery point', id.data);
    if (input.confirm !== point.source.name) throw fieldError('confirm', `confirm must be the source's name "${point.source.name}"`);
    // Conditional update: a concurrent extension that commits first makes this one fail instead of shortening it.
    const { count } = await tx.recoveryPoint.updateMany({
      where: { id: point.id, OR: [{ lockedUntil: null }, { lockedUntil: { lte: input.until } }] },
      data: { lockedUntil: input.until },
    });
    if (count === 0) {
      const current = await tx.recoveryPoint.findUnique({ where: { id: point.id }, select: { lockedUntil: true } });
      throw new DomainError(
        'INVALID_STATE',
        `a retention lock can only be extended: the point is locked until ${current?.lockedUntil?.toISOString() ?? 'later'}`,
      );
    }
    await recordAudit(tx, actor, {
      action: 'recovery-point.lock',
      targetType: 'recovery-point',
      targetId: point.id,
      details: { sourceId: point.sourceId, until: input.until.toISOString(), previous: point.lockedUntil?.toISOString() ?? null, reason: input.reason },
    });
    return { id: point.id, sourceId: point.sourceId };
  });

  const objectLocks: ObjectLockResult[] = [];
  await afterCommit(ctx, async () => {
    objectLocks.push(...(await applyObjectLocks(locked.id, input.until)));
    if (objectLocks.length === 0) return;
    // Its own transaction: the catalog lock has committed, and the storage's answer is recorded whatever it was.
    await db().$transaction((tx) =>
      recordAudit(tx, actor, {
        action: 'recovery-point.object-lock',
        targetType: 'recovery-point',
        targetId: locked.id,
        details: { sourceId: locked.sourceId, until: input.until.toISOString(), results: objectLocks.map((r) => ({ ...r })) },
      }),
    );
  });
  return { id: locked.id, lockedUntil: input.until.toISOString(), objectLocks };
}

/** The furthest a lock may reach from now: `years` calendar years (UTC). */
export function maxLockUntil(years: number, now = new Date()): Date {
  const max = new Date(now);
  max.setUTCFullYear(max.getUTCFullYear() + years);
  return max;
}

/** A VALIDATION error naming its field the way zod's do (`details.issues`), so forms show it beside the field. */
function fieldError(field: string, message: string): DomainError {
  return new DomainError('VALIDATION', message, { issues: [{ path: [field], message }] });
}

async function applyObjectLocks(pointId: string, until: Date): Promise<ObjectLockResult[]> {
  const destination = { select: { id: true, kind: true, config: true, secrets: true } } as const;
  const point = await db().recoveryPoint.findUnique({
    where: { id: pointId },
    select: { ...STORED_OBJECT_FIELDS, primaryDeletedAt: true, destination, copies: { where: { status: 'COPY_OK' }, select: { location: true, destination } } },
  });
  if (!point) return [];
  // A primary object pruned by retention is gone: only the copies are left to lock.
  const primary: Array<{ holder: ObjectHolder; destination: typeof point.destination }> =
    point.primaryDeletedAt === null ? [{ holder: { role: 'primary' }, destination: point.destination }] : [];
  const targets = [...primary, ...point.copies.map((c) => ({ holder: { role: 'copy' as const, location: c.location }, destination: c.destination }))];
  const results: ObjectLockResult[] = [];
  for (const { holder, destination: dest } of targets) {
    const mode = objectLockModeOf(dest);
    if (mode === null) continue;
    try {
      const driver = driverForDestination(dest);
      if (!driver.setRetention) throw new Error(`${driver.kind} storage does not support object lock`);
      // Every object, then the manifest; the first refusal stops this destination (reported, and retried by locking again).
      for (const key of storedKeysAt(point, holder)) await driver.setRetention(key, until, mode);
      results.push({ destinationId: dest.id, ok: true });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      logger.warn({ pointId, destinationId: dest.id, err: error }, 'retention lock recorded but the object lock could not be set');
      results.push({ destinationId: dest.id, ok: false, error });
    }
  }
  return results;
}
