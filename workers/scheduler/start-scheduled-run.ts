import { enqueueJob } from '@/server/jobs/producer';
import type { StoredSchedule } from '@/server/policies/schedules';
import { createRun, enqueueRun } from '@/server/runs/create-run';
import type { RunTrigger } from '@/server/runs/run-kinds';
import { SLOT_REASONS } from '@/server/scheduling/slot-reasons';
import { afterCommit, type VerbContext } from '@/server/shared/context';
import type { Tx } from '@/server/shared/db';
import { lockKey, SCHEDULER_ACTOR } from './scheduler-actor';
import type { ScheduledSource } from './scheduled-sources';

export type StartOutcome = { started: true; runId: string | null } | { started: false; reason: string };

const ACTIVE = ['QUEUED', 'RUNNING'] as const;

/**
 * Inside the caller's transaction (opened with withTransaction, so the enqueue waits for its commit): decides whether
 * a scheduled `kind` may start for `source` now, and starts it. Skips, with the reason, on overlap (the source's
 * previous run of that kind still queued or running) and on a destination at its `maxConcurrentPerDestination`.
 * Backup → a BACKUP run to the policy's destination; verify → the newest unverified point (or the newest, if all
 * are verified); prune → the retention prune job (no run row: `runId` null).
 */
export async function startScheduledRun(
  ctx: VerbContext & { tx: Tx },
  source: ScheduledSource,
  kind: StoredSchedule['kind'],
  trigger: RunTrigger,
  details: Record<string, unknown>,
): Promise<StartOutcome> {
  const { tx } = ctx;
  if (kind === 'prune') {
    const bucket = String(details.slotAt ?? Date.now()).replace(/[^0-9A-Za-z]/g, '');
    await afterCommit(ctx, () => enqueueJob('retention.prune', { sourceId: source.sourceId }, `retention-prune-${source.sourceId}-slot-${bucket}`));
    return { started: true, runId: null };
  }
  const runKind = kind === 'backup' ? 'BACKUP' : 'VERIFY';
  const active = await tx.run.findFirst({ where: { sourceId: source.sourceId, kind: runKind, status: { in: [...ACTIVE] } }, select: { id: true } });
  if (active) return { started: false, reason: SLOT_REASONS.overlap };

  let destinationId = source.destinationId;
  let inputPointId: string | undefined;
  if (runKind === 'VERIFY') {
    const point =
      (await tx.recoveryPoint.findFirst({ where: { sourceId: source.sourceId, primaryDeletedAt: null, verifiedAt: null }, orderBy: { createdAt: 'desc' }, select: { id: true, destinationId: true } })) ??
      (await tx.recoveryPoint.findFirst({ where: { sourceId: source.sourceId, primaryDeletedAt: null }, orderBy: { createdAt: 'desc' }, select: { id: true, destinationId: true } }));
    if (!point) return { started: false, reason: SLOT_REASONS.nothingToVerify };
    destinationId = point.destinationId;
    inputPointId = point.id;
  }

  const limit = source.maxConcurrentPerDestination;
  if (limit !== null) {
    await lockKey(tx, `destination:${destinationId}`);
    const busy = await tx.run.count({ where: { destinationId, trigger: { in: ['schedule', 'catch-up'] }, status: { in: [...ACTIVE] } } });
    if (busy >= limit) return { started: false, reason: SLOT_REASONS.destinationBusy };
  }

  const run = await createRun(tx, runKind, {
    actor: SCHEDULER_ACTOR,
    sourceId: source.sourceId,
    destinationId,
    inputPointId,
    trigger,
    details: { sourceId: source.sourceId, sourceName: source.sourceName, destinationId, trigger, ...(inputPointId ? { recoveryPointId: inputPointId } : {}), ...details },
  });
  await afterCommit(ctx, () => enqueueRun(run));
  return { started: true, runId: run.id };
}
