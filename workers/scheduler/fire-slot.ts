import crypto from 'node:crypto';
import { enqueueJob } from '@/server/jobs/producer';
import { inWindow, type StoredSchedule } from '@/server/policies/schedules';
import { createRuns, enqueueRuns } from '@/server/runs/create-run';
import type { RunKind } from '@/server/runs/run-kinds';
import { SLOT_REASONS } from '@/server/scheduling/slot-reasons';
import { insertSlots, type SlotRow } from '@/server/scheduling/slot-rows';
import { afterCommit, withTransaction } from '@/server/shared/context';
import type { Tx } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { graceMs, previousSlot } from './schedule-times';
import { lockKeys, SCHEDULER_ACTOR } from './scheduler-actor';
import { loadScheduledSourcesByIds, type ScheduledSource } from './scheduled-sources';
import { waitDeadline } from './waiting-slots';
import { covered, liveIntervals } from './worker-heartbeat';

/** What BullMQ hands the handler of a produced job, enough to tell which fire time it stands for. */
export interface FiredJob {
  id?: string | null;
  timestamp?: number;
  delay?: number;
  opts?: { prevMillis?: number };
}

/**
 * The time a job scheduler meant this job to fire: BullMQ stamps `opts.prevMillis` with the iteration's computed time
 * and builds the id `repeat:<schedulerId>:<that time>`; the creation time plus delay is the last resort. Never the
 * time the worker got it, which is late by however long the queue or an outage held it.
 */
export function fireTimeOf(job: FiredJob): Date | null {
  if (typeof job.opts?.prevMillis === 'number' && job.opts.prevMillis > 0) return new Date(job.opts.prevMillis);
  const fromId = /^repeat:.*:(\d+)$/.exec(job.id ?? '')?.[1];
  if (fromId) return new Date(Number(fromId));
  if (typeof job.timestamp === 'number') return new Date(job.timestamp + (job.delay ?? 0));
  return null;
}

export type FireOutcome =
  | { outcome: 'started'; slotAt: Date; runId: string | null }
  | { outcome: 'skipped' | 'missed'; slotAt: Date; reason: string }
  | { outcome: 'duplicate'; slotAt: Date }
  | { outcome: 'gone' };

/** Which slot a fire stands for: one schedule of one source (a pattern's fire makes one per schedule using it). */
export interface SlotFire {
  sourceId: string;
  scheduleId: string;
}

/** One fire of one (source, schedule), with the job that carried it (its fire time). */
export interface FireRequest {
  payload: SlotFire;
  job: FiredJob;
}

interface Item {
  index: number;
  source: ScheduledSource;
  schedule: StoredSchedule;
  slotAt: Date;
}

const ACTIVE = ['QUEUED', 'RUNNING'] as const;
// A batch's transaction writes a slot row, maybe a run and its audit event per fire: a few hundred fires take well
// under a second on an idle catalog, seconds on a loaded one. Prisma's 5 s default would roll a burst back.
const BATCH_TX = { maxWait: 10_000, timeout: 60_000 };

/**
 * Handles one `schedule.fire` (a batch of one): see `fireSlots`.
 */
export async function fireSlot(payload: SlotFire, job: FiredJob, opts: { sweepMs: number }, now = new Date()): Promise<FireOutcome> {
  return (await fireSlots([{ payload, job }], opts, now))[0]!;
}

/**
 * Handles a batch of `schedule.fire` jobs (those a worker received within a few milliseconds: a minute boundary
 * with a thousand schedules delivers a thousand at once, workers/scheduler/fire-batcher.ts). Each fire's time is
 * rounded to its slot; then, in ONE transaction for the whole batch, every slot is recorded and, unless skipped, its
 * run created (trigger `schedule`), with one multi-row insert for the slots and one for the runs; the runs' jobs are
 * enqueued in one round trip after commit. The slot row is unique per (source, schedule, time) and checked under
 * each source's scheduler lock, so a duplicate fire (two workers, a retried job, a re-created scheduler) inserts
 * nothing and starts nothing. A fire later than the schedule's grace starts nothing either: the slot is recorded
 * MISSED (the reconciler would record it so by then) and the catch-up decides whether a backup is owed. A slot whose
 * destination is at its `maxConcurrentPerDestination` waits (recorded SKIPPED "waiting: …"; the sweep starts it
 * when there is room, or gives up at the end of its window: waiting-slots.ts).
 *
 * Should another writer insert one of the batch's slots between the look and the insert (the reconciler, which does
 * not take the source locks), the whole batch rolls back and each fire is tried again on its own.
 */
export async function fireSlots(
  requests: readonly FireRequest[],
  opts: { sweepMs: number },
  now = new Date(),
  /** The sources as the caller just read them (a pattern's fire): saves reading them again. */
  loaded?: ReadonlyMap<string, ScheduledSource>,
): Promise<FireOutcome[]> {
  const outcomes: FireOutcome[] = new Array(requests.length);
  const sources = loaded ?? (await loadScheduledSourcesByIds([...new Set(requests.map((r) => r.payload.sourceId))]));
  const items: Item[] = [];
  const seen = new Set<string>();
  // A pattern's fire asks for the same slot of many schedules: computed once per (cron, zone, fire time).
  const slotOf = new Map<string, Date | null>();
  requests.forEach(({ payload, job }, index) => {
    const source = sources.get(payload.sourceId);
    const schedule = source?.schedules.find((s) => s.id === payload.scheduleId);
    // The schedule, the source or its policy went away since the scheduler was made: the next sync removes it.
    if (!source || !schedule) return void (outcomes[index] = { outcome: 'gone' });
    const firedAt = fireTimeOf(job) ?? now;
    const memo = `${schedule.timezone}\n${schedule.cron}\n${firedAt.getTime()}`;
    if (!slotOf.has(memo)) slotOf.set(memo, previousSlot(schedule, firedAt));
    const slotAt = slotOf.get(memo)!;
    if (!slotAt) return void (outcomes[index] = { outcome: 'gone' });
    const key = `${source.sourceId}/${schedule.id}/${slotAt.getTime()}`;
    // The same slot twice in one batch (a retried job next to its first delivery): the first one decides.
    if (seen.has(key)) return void (outcomes[index] = { outcome: 'duplicate', slotAt });
    seen.add(key);
    items.push({ index, source, schedule, slotAt });
  });
  if (items.length === 0) return outcomes;

  const apply = (decided: Map<number, FireOutcome>) => decided.forEach((o, i) => (outcomes[i] = o));
  try {
    apply(await recordBatch(items, opts, now));
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    // Another writer recorded one of these slots between our look and our insert: its decision stands, ours rolled
    // back. One by one, the others go through and that one finds its row.
    for (const item of items) {
      try {
        apply(await recordBatch([item], opts, now));
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        outcomes[item.index] = { outcome: 'duplicate', slotAt: item.slotAt };
      }
    }
  }
  logger.debug({ fires: requests.length, slots: items.length }, 'scheduler: slots fired');
  return outcomes;
}

/** The transaction of one batch: decides every item, writes the slot rows, the runs and their audit events. */
async function recordBatch(items: readonly Item[], opts: { sweepMs: number }, now: Date): Promise<Map<number, FireOutcome>> {
  return withTransaction(
    { actor: SCHEDULER_ACTOR },
    async (tx, ctx) => {
      const decided = new Map<number, FireOutcome>();
      const sourceIds = [...new Set(items.map((i) => i.source.sourceId))];
      await lockKeys(
        tx,
        sourceIds.map((id) => `source:${id}`),
      );
      const existing = new Set(
        (
          await tx.scheduledSlot.findMany({
            where: { sourceId: { in: sourceIds }, slotAt: { in: [...new Set(items.map((i) => i.slotAt.getTime()))].map((t) => new Date(t)) } },
            select: { sourceId: true, scheduleId: true, slotAt: true },
          })
        ).map((s) => `${s.sourceId}/${s.scheduleId}/${s.slotAt.getTime()}`),
      );

      const slots: SlotRow[] = [];
      const record = (item: Item, row: Pick<SlotRow, 'state' | 'reason' | 'runId'>, outcome: FireOutcome) => {
        slots.push({ sourceId: item.source.sourceId, scheduleId: item.schedule.id, slotAt: item.slotAt, policyId: item.source.policyId, kind: item.schedule.kind, ...row });
        decided.set(item.index, outcome);
      };
      let live: Array<[number, number]> | null = null;
      const candidates: Item[] = [];
      for (const item of items) {
        const { source, schedule, slotAt } = item;
        if (existing.has(`${source.sourceId}/${schedule.id}/${slotAt.getTime()}`)) decided.set(item.index, { outcome: 'duplicate', slotAt });
        else if (source.paused) record(item, { state: 'SKIPPED', reason: SLOT_REASONS.paused }, { outcome: 'skipped', slotAt, reason: SLOT_REASONS.paused });
        else if (!inWindow(schedule, slotAt)) record(item, { state: 'SKIPPED', reason: SLOT_REASONS.outsideWindow }, { outcome: 'skipped', slotAt, reason: SLOT_REASONS.outsideWindow });
        else if (now.getTime() - slotAt.getTime() > graceMs(schedule, slotAt)) {
          live ??= await liveIntervals(tx, new Date(Math.min(...items.map((i) => i.slotAt.getTime()))), new Date(Math.max(...items.map((i) => i.slotAt.getTime()))), 2 * opts.sweepMs);
          const reason = covered(live, slotAt) ? `${SLOT_REASONS.late} (${Math.round((now.getTime() - slotAt.getTime()) / 1000)} s after the slot)` : SLOT_REASONS.noWorker;
          record(item, { state: 'MISSED', reason }, { outcome: 'missed', slotAt, reason });
        } else candidates.push(item);
      }

      const runs: Array<{ item: Item; kind: RunKind; destinationId: string; inputPointId?: string }> = [];
      const prunes: Item[] = [];
      const toStart = await admit(tx, candidates, now, (item, reason) =>
        record(item, { state: 'SKIPPED', reason }, { outcome: 'skipped', slotAt: item.slotAt, reason }),
      );
      for (const a of toStart) {
        if (a.kind === null) prunes.push(a.item);
        else runs.push({ item: a.item, kind: a.kind, destinationId: a.destinationId, inputPointId: a.inputPointId });
      }
      for (const item of prunes) {
        record(item, { state: 'STARTED' }, { outcome: 'started', slotAt: item.slotAt, runId: null });
        const bucket = item.slotAt.toISOString().replace(/[^0-9A-Za-z]/g, '');
        await afterCommit(ctx, () => enqueueJob('retention.prune', { sourceId: item.source.sourceId }, `retention-prune-${item.source.sourceId}-slot-${bucket}`));
      }
      const planned = runs.map((r) => ({ ...r, id: crypto.randomUUID() }));
      for (const r of planned) record(r.item, { state: 'STARTED', runId: r.id }, { outcome: 'started', slotAt: r.item.slotAt, runId: r.id });

      // The slot rows first, the runs (with their audit events) last: the audit chain's lock is then held from the
      // first append to the commit only.
      await insertSlots(tx, slots);
      const created: Array<{ id: string; kind: RunKind; jobGeneration: number }> = [];
      for (const kind of ['BACKUP', 'VERIFY'] as const) {
        const ofKind = planned.filter((r) => r.kind === kind);
        created.push(
          ...(await createRuns(
            tx,
            kind,
            ofKind.map((r) => ({
              id: r.id,
              actor: SCHEDULER_ACTOR,
              sourceId: r.item.source.sourceId,
              destinationId: r.destinationId,
              inputPointId: r.inputPointId,
              trigger: 'schedule' as const,
              details: {
                sourceId: r.item.source.sourceId,
                sourceName: r.item.source.sourceName,
                destinationId: r.destinationId,
                trigger: 'schedule',
                ...(r.inputPointId ? { recoveryPointId: r.inputPointId } : {}),
                scheduleId: r.item.schedule.id,
                slotAt: r.item.slotAt.toISOString(),
              },
            })),
          )),
        );
      }
      if (created.length > 0) await afterCommit(ctx, () => enqueueRuns(created));
      return decided;
    },
    BATCH_TX,
  );
}

type Admitted = { item: Item; kind: null } | { item: Item; kind: RunKind; destinationId: string; inputPointId?: string };

/**
 * Which of the batch's timely slots may start now, under their source locks (held by the caller): a prune always; a
 * backup or verify unless the source's previous run of that kind is still queued or running (overlap, also against
 * an earlier slot of the same batch), a verify only with a point to read, and only while its destination is below
 * the policy's `maxConcurrentPerDestination` (counted under the destination's lock, the batch's own new runs
 * included); a slot over that limit waits. The others are handed to `skip` with their reason.
 */
async function admit(tx: Tx, candidates: readonly Item[], now: Date, skip: (item: Item, reason: string) => void): Promise<Admitted[]> {
  const admitted: Admitted[] = [];
  const runKindOf = (item: Item): RunKind | null => (item.schedule.kind === 'prune' ? null : item.schedule.kind === 'backup' ? 'BACKUP' : 'VERIFY');
  const withRuns = candidates.filter((c) => runKindOf(c) !== null);
  const active = new Set(
    withRuns.length === 0
      ? []
      : (
          await tx.run.findMany({
            where: { sourceId: { in: [...new Set(withRuns.map((c) => c.source.sourceId))] }, kind: { in: [...new Set(withRuns.map((c) => runKindOf(c)!))] }, status: { in: [...ACTIVE] } },
            select: { sourceId: true, kind: true },
          })
        ).map((r) => `${r.sourceId}/${r.kind}`),
  );

  const pending: Array<{ item: Item; kind: RunKind; destinationId: string; inputPointId?: string }> = [];
  for (const item of candidates) {
    const kind = runKindOf(item);
    if (kind === null) {
      admitted.push({ item, kind: null });
      continue;
    }
    const key = `${item.source.sourceId}/${kind}`;
    if (active.has(key)) {
      skip(item, SLOT_REASONS.overlap);
      continue;
    }
    let destinationId = item.source.destinationId;
    let inputPointId: string | undefined;
    if (kind === 'VERIFY') {
      // Verify schedules are few (one a day per source, typically): one look per slot is fine.
      const where = { sourceId: item.source.sourceId, primaryDeletedAt: null };
      const point =
        (await tx.recoveryPoint.findFirst({ where: { ...where, verifiedAt: null }, orderBy: { createdAt: 'desc' }, select: { id: true, destinationId: true } })) ??
        (await tx.recoveryPoint.findFirst({ where, orderBy: { createdAt: 'desc' }, select: { id: true, destinationId: true } }));
      if (!point) {
        skip(item, SLOT_REASONS.nothingToVerify);
        continue;
      }
      destinationId = point.destinationId;
      inputPointId = point.id;
    }
    active.add(key);
    pending.push({ item, kind, destinationId, inputPointId });
  }

  // The destination limit: counted once per limited destination, under its lock (taken after every source lock).
  const limited = [...new Set(pending.filter((p) => p.item.source.maxConcurrentPerDestination !== null).map((p) => p.destinationId))].sort();
  const busy = new Map<string, number>();
  if (limited.length > 0) {
    await lockKeys(
      tx,
      limited.map((d) => `destination:${d}`),
    );
    const counts = await tx.run.groupBy({
      by: ['destinationId'],
      where: { destinationId: { in: limited }, trigger: { in: ['schedule', 'catch-up'] }, status: { in: [...ACTIVE] } },
      _count: { _all: true },
    });
    for (const d of limited) busy.set(d, 0);
    for (const c of counts) if (c.destinationId) busy.set(c.destinationId, c._count._all);
  }
  for (const p of pending) {
    const limit = p.item.source.maxConcurrentPerDestination;
    const inFlight = busy.get(p.destinationId);
    if (limit !== null && inFlight !== undefined && inFlight >= limit) {
      // Over the limit: the slot waits for room until its deadline (already past: skipped for good).
      skip(p.item, now.getTime() < waitDeadline(p.item.schedule, p.item.slotAt).getTime() ? SLOT_REASONS.destinationWaiting : SLOT_REASONS.destinationBusy);
      continue;
    }
    if (inFlight !== undefined) busy.set(p.destinationId, inFlight + 1);
    admitted.push(p);
  }
  return admitted;
}
