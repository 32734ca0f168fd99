import { SYSTEM_ACTOR, type Actor } from '@/server/auth/permissions';
import { recordAudit, recordAuditMany } from '@/server/audit/record-audit';
import { db, type Tx } from '@/server/shared/db';
import { DomainError } from '@/server/shared/errors';
import { assertTransition, sourcesOf, type RunStatus } from './state-machine';
import type { RunKind } from './run-kinds';

/**
 * The only module that changes a run's status. Each change is a conditional update whose WHERE clause is derived
 * from the state machine, so two workers (or a worker and the reaper) can never both win the same transition.
 */

export interface ClaimedRun {
  id: string;
  kind: RunKind;
  attempt: number;
  maxAttempts: number;
  sourceId: string;
}

/** QUEUED → RUNNING for this worker, or null when another worker has it or it was cancelled meanwhile. */
export async function claimRun(runId: string, workerId: string): Promise<ClaimedRun | null> {
  return (await claimRuns([runId], workerId))[0]!;
}

/**
 * `claimRun` for many runs in one statement (a worker handed a burst of run jobs at once: a minute boundary of a
 * thousand schedules): each id gets its claimed run, or null when it was not claimable. Each row's move is still the
 * conditional update of the state machine, so a run another worker won is simply not returned.
 */
export async function claimRuns(runIds: readonly string[], workerId: string): Promise<Array<ClaimedRun | null>> {
  if (runIds.length === 0) return [];
  const now = new Date().toISOString();
  // One UPDATE … WHERE id = ANY(…) RETURNING, written out: a burst's claims are on the path from slot to run, and the
  // ORM's per-row work on a few hundred rows costs more than the statement.
  const rows = await db().$queryRaw<ClaimedRun[]>`
    UPDATE "Run" SET "status" = 'RUNNING', "workerId" = ${workerId}, "attempt" = "attempt" + 1, "heartbeatAt" = ${now}::timestamp,
                     "startedAt" = ${now}::timestamp, "phase" = 'starting', "bytesDone" = 0, "bytesTotal" = NULL, "error" = NULL
    WHERE "id" = ANY(${[...new Set(runIds)]}::uuid[]) AND "status"::text = ANY(${sourcesOf('RUNNING')}::text[]) AND NOT "cancelRequested"
    RETURNING "id"::text AS "id", "kind"::text AS "kind", "attempt", "maxAttempts", "sourceId"::text AS "sourceId"`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  // The same id twice in one batch (a duplicate delivery): only the first caller gets the run.
  const given = new Set<string>();
  return runIds.map((id) => {
    const row = byId.get(id);
    if (!row || given.has(id)) return null;
    given.add(id);
    return row;
  });
}

export interface HeartbeatResult {
  /** False when the run is no longer ours (reaped, finished): the worker must stop at once. */
  owned: boolean;
  cancelRequested: boolean;
}

export async function heartbeatRun(
  runId: string,
  workerId: string,
  progress: { phase?: string; bytesDone?: number; bytesTotal?: number | null },
): Promise<HeartbeatResult> {
  const rows = await db().run.updateManyAndReturn({
    where: { id: runId, status: 'RUNNING', workerId },
    data: {
      heartbeatAt: new Date(),
      phase: progress.phase,
      bytesDone: progress.bytesDone === undefined ? undefined : BigInt(Math.round(progress.bytesDone)),
      bytesTotal:
        progress.bytesTotal === undefined
          ? undefined
          : progress.bytesTotal === null
            ? null
            : BigInt(Math.round(progress.bytesTotal)),
    },
    select: { cancelRequested: true },
  });
  const row = rows[0];
  return row ? { owned: true, cancelRequested: row.cancelRequested } : { owned: false, cancelRequested: false };
}

export interface FinishInput {
  status: Extract<RunStatus, 'SUCCEEDED' | 'FAILED' | 'CANCELLED'>;
  error?: string;
  details?: Record<string, unknown>;
  /** The last progress figures; heartbeats persist them only every few seconds, so a short run would end at 0 bytes. */
  bytesDone?: number;
  bytesTotal?: number | null;
  /** Runs inside the same transaction, before commit: e.g. records the recovery point of a successful backup. */
  onCommit?: (tx: Tx) => Promise<void>;
}

/**
 * RUNNING → terminal, by the worker that owns the run. The run row, whatever `onCommit` writes and the audit event
 * commit together; if the worker lost the run meanwhile, nothing is written.
 */
export async function finishRun(runId: string, workerId: string, input: FinishInput): Promise<{ cancelRequested: boolean }> {
  const [outcome] = await db().$transaction((tx) => finishInTx(tx, [{ runId, workerId, input }]));
  if (outcome instanceof Error) throw outcome;
  return outcome!;
}

export interface FinishRequest {
  runId: string;
  workerId: string;
  input: FinishInput;
}

/**
 * `finishRun` for many runs in ONE transaction (a worker finishing a burst of short runs at once): each run's row and
 * its `onCommit` writes as before, and all their audit events in one append at the end, so the audit chain's lock
 * is taken once and the catalog commits once for the lot. A run the worker no longer owns gets its error and writes
 * nothing; the others still finish. Should anything else fail (an `onCommit`), the batch rolls back and each run is
 * finished in its own transaction, so one run's failure never costs the others theirs.
 */
export async function finishRuns(requests: readonly FinishRequest[]): Promise<Array<{ cancelRequested: boolean } | Error>> {
  if (requests.length === 0) return [];
  if (requests.length === 1) return [await finishRun(requests[0]!.runId, requests[0]!.workerId, requests[0]!.input).catch((e: unknown) => asError(e))];
  try {
    return await db().$transaction((tx) => finishInTx(tx, requests));
  } catch {
    const one: Array<{ cancelRequested: boolean } | Error> = [];
    for (const r of requests) one.push(await finishRun(r.runId, r.workerId, r.input).catch((e: unknown) => asError(e)));
    return one;
  }
}

const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));

async function finishInTx(tx: Tx, requests: readonly FinishRequest[]): Promise<Array<{ cancelRequested: boolean } | Error>> {
  const outcomes: Array<{ cancelRequested: boolean } | Error> = [];
  const audits: Array<{ actor: Actor; input: Parameters<typeof recordAudit>[2] }> = [];
  for (const { runId, workerId, input } of requests) {
    const rows = await tx.run.updateManyAndReturn({
      // Only the owner (workerId) of a RUNNING run may finish it: RUNNING is the one source of every terminal state
      // a worker writes, and the WHERE clause keeps it so.
      where: { id: runId, status: { in: ownedSourcesOf(input.status) }, workerId },
      data: {
        status: input.status,
        error: input.error ?? null,
        finishedAt: new Date(),
        phase: input.status.toLowerCase(),
        bytesDone: input.bytesDone === undefined ? undefined : BigInt(Math.round(input.bytesDone)),
        bytesTotal:
          input.bytesTotal === undefined ? undefined : input.bytesTotal === null ? null : BigInt(Math.round(input.bytesTotal)),
      },
      select: { id: true, kind: true, sourceId: true, attempt: true, cancelRequested: true },
    });
    const run = rows[0];
    if (!run) {
      outcomes.push(new DomainError('INVALID_STATE', `run ${runId} is no longer owned by worker ${workerId}`));
      continue;
    }
    if (input.onCommit) await input.onCommit(tx);
    audits.push({
      actor: workerActor(workerId),
      input: { action: 'run.finish', targetType: 'run', targetId: runId, details: { kind: run.kind, status: input.status, attempt: run.attempt, error: input.error, ...input.details } },
    });
    outcomes.push({ cancelRequested: run.cancelRequested });
  }
  // Last, so the chain's lock is held from this append to the commit only.
  await recordAuditMany(tx, audits);
  return outcomes;
}

/**
 * The statuses a worker-owned run can be in when it moves to `to`: the state machine's sources of `to` that are
 * RUNNING (a worker only owns a running run). Asserted, so a table that stopped allowing the move fails loudly.
 */
function ownedSourcesOf(to: RunStatus): RunStatus[] {
  assertTransition('RUNNING', to);
  return sourcesOf(to).filter((s) => s === 'RUNNING');
}

/**
 * Cancels a queued run at once (QUEUED → CANCELLED), or asks the worker of a running one to stop (the worker ends it
 * CANCELLED; the caller publishes the request on the cancel channel after commit). Returns the resulting status.
 */
export async function cancelRunTransition(tx: Tx, runId: string, actor: Actor): Promise<RunStatus> {
  const queued = await tx.run.updateManyAndReturn({
    where: { id: runId, status: { in: sourcesOf('CANCELLED').filter((s) => s !== 'RUNNING') } },
    data: { status: 'CANCELLED', cancelRequested: true, finishedAt: new Date(), phase: 'cancelled', error: null },
    select: { id: true },
  });
  if (queued.length > 0) {
    await recordAudit(tx, actor, { action: 'run.cancel', targetType: 'run', targetId: runId, details: { was: 'QUEUED' } });
    return 'CANCELLED';
  }
  // A running run only has its request recorded: its worker performs RUNNING → CANCELLED when it has stopped.
  const running = await tx.run.updateManyAndReturn({
    where: { id: runId, status: { in: ownedSourcesOf('CANCELLED') } },
    data: { cancelRequested: true },
    select: { id: true },
  });
  if (running.length > 0) {
    await recordAudit(tx, actor, { action: 'run.cancel', targetType: 'run', targetId: runId, details: { was: 'RUNNING' } });
    return 'RUNNING';
  }
  const run = await tx.run.findUnique({ where: { id: runId }, select: { status: true } });
  if (!run) throw new DomainError('NOT_FOUND', `run ${runId} not found`);
  throw new DomainError('INVALID_STATE', `run ${runId} has already finished (${run.status})`);
}

export interface ReapResult {
  requeued: { id: string; kind: RunKind; attempt: number; jobGeneration: number }[];
  failed: string[];
}

/**
 * A run whose worker stopped heart-beating for `staleSeconds` is re-queued (RUNNING → QUEUED) while it has attempts
 * left, and failed (RUNNING → FAILED) otherwise; a cancel request on a dead run ends it CANCELLED. Safe to run from
 * every worker at once: each row moves in a conditional update.
 */
export async function reapStaleRuns(staleSeconds: number): Promise<ReapResult> {
  const cutoff = new Date(Date.now() - staleSeconds * 1000);
  const result: ReapResult = { requeued: [], failed: [] };
  const stale = await db().run.findMany({
    where: { status: 'RUNNING', heartbeatAt: { lt: cutoff } },
    select: { id: true, attempt: true, maxAttempts: true, cancelRequested: true, workerId: true },
  });
  for (const run of stale) {
    const to: RunStatus = run.cancelRequested ? 'CANCELLED' : run.attempt < run.maxAttempts ? 'QUEUED' : 'FAILED';
    const error =
      to === 'QUEUED'
        ? null
        : to === 'FAILED'
          ? `worker ${run.workerId ?? '?'} stopped responding; no attempts left (${run.attempt}/${run.maxAttempts})`
          : null;
    await db().$transaction(async (tx) => {
      const moved = await tx.run.updateManyAndReturn({
        // The lost worker's RUNNING is the only source here (workerId is not checked: that worker is gone).
        where: { id: run.id, status: { in: ownedSourcesOf(to) }, heartbeatAt: { lt: cutoff } },
        data: {
          status: to,
          workerId: null,
          error,
          phase: to === 'QUEUED' ? 'retrying' : to.toLowerCase(),
          finishedAt: to === 'QUEUED' ? null : new Date(),
          jobGeneration: to === 'QUEUED' ? { increment: 1 } : undefined,
        },
        select: { id: true, kind: true, attempt: true, jobGeneration: true },
      });
      const row = moved[0];
      if (!row) return;
      await tx.runLog.create({
        data: {
          runId: run.id,
          level: 'warn',
          message: `worker ${run.workerId ?? '?'} stopped responding during attempt ${run.attempt}; run ${to === 'QUEUED' ? 're-queued' : to.toLowerCase()}`,
        },
      });
      await recordAudit(tx, SYSTEM_ACTOR, {
        action: to === 'QUEUED' ? 'run.retry' : 'run.finish',
        targetType: 'run',
        targetId: run.id,
        details: { status: to, attempt: run.attempt, reason: 'heartbeat lost', lostWorker: run.workerId },
      });
      if (to === 'QUEUED') result.requeued.push(row);
      else result.failed.push(row.id);
    });
  }
  return result;
}

function workerActor(workerId: string): Actor {
  return { type: 'system', id: null, label: `worker ${workerId}`, role: 'ADMIN' };
}

/**
 * RUNNING → QUEUED by the owning worker when it shuts down mid-run: the attempt is given back, since nothing went
 * wrong with the run itself, and the job generation moves on (the stopping worker still holds the old job). The
 * caller re-enqueues it under the returned generation after this commits.
 */
export async function releaseRun(runId: string, workerId: string, reason: string): Promise<{ jobGeneration: number } | null> {
  return db().$transaction(async (tx) => {
    const rows = await tx.run.updateManyAndReturn({
      where: { id: runId, status: { in: ownedSourcesOf('QUEUED') }, workerId },
      data: { status: 'QUEUED', workerId: null, attempt: { decrement: 1 }, phase: 'queued', jobGeneration: { increment: 1 } },
      select: { jobGeneration: true },
    });
    const row = rows[0];
    if (!row) return null;
    await tx.runLog.create({ data: { runId, level: 'warn', message: `released by ${workerId}: ${reason}` } });
    await recordAudit(tx, workerActor(workerId), {
      action: 'run.retry',
      targetType: 'run',
      targetId: runId,
      details: { reason },
    });
    return row;
  });
}

/**
 * RUNNING → QUEUED by the owning worker after a failure that may be transient (the error says `retryable`), while
 * the run has attempts left: the attempt stays consumed, the reason is logged and audited (`run.retry`), and the
 * caller re-enqueues the run under the returned generation, after a backoff.
 */
export async function retryRun(
  runId: string,
  workerId: string,
  input: { error: string; retryInMs: number },
): Promise<{ jobGeneration: number; attempt: number } | null> {
  return db().$transaction(async (tx) => {
    const rows = await tx.run.updateManyAndReturn({
      where: { id: runId, status: { in: ownedSourcesOf('QUEUED') }, workerId },
      data: { status: 'QUEUED', workerId: null, phase: 'retrying', error: input.error, jobGeneration: { increment: 1 } },
      select: { jobGeneration: true, attempt: true, maxAttempts: true },
    });
    const row = rows[0];
    if (!row) return null;
    const seconds = Math.round(input.retryInMs / 100) / 10;
    await tx.runLog.create({
      data: { runId, level: 'warn', message: `attempt ${row.attempt} of ${row.maxAttempts} failed: ${input.error}; retrying in ${seconds} s` },
    });
    await recordAudit(tx, workerActor(workerId), {
      action: 'run.retry',
      targetType: 'run',
      targetId: runId,
      details: { reason: 'retryable failure', attempt: row.attempt, error: input.error, retryInMs: input.retryInMs },
    });
    return { jobGeneration: row.jobGeneration, attempt: row.attempt };
  });
}

/** Runs left QUEUED longer than `olderThanSeconds`, to check whether their job is still there (see sweepRuns). */
export async function findOrphanedQueuedRuns(olderThanSeconds: number) {
  return db().run.findMany({
    where: { status: 'QUEUED', createdAt: { lt: new Date(Date.now() - olderThanSeconds * 1000) } },
    select: { id: true, kind: true, jobGeneration: true },
    // A batch per sweep keeps one sweep short; the next sweep takes the rest.
    take: 100,
  });
}

/**
 * Moves a queued run whose job was lost to the next job generation, so it can be enqueued under an id that no old
 * job holds. Conditional on the generation the caller saw: of several workers sweeping at once, one wins and
 * enqueues. Returns the new generation, or null when another sweep (or the run's own progress) came first.
 */
export async function bumpJobGeneration(runId: string, seen: number): Promise<number | null> {
  const rows = await db().run.updateManyAndReturn({
    where: { id: runId, status: 'QUEUED', jobGeneration: seen },
    data: { jobGeneration: { increment: 1 } },
    select: { jobGeneration: true },
  });
  return rows[0]?.jobGeneration ?? null;
}
