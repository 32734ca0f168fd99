import type { Actor } from '@/server/auth/permissions';
import { recordAudit, recordAuditMany } from '@/server/audit/record-audit';
import { enqueueCommitted, enqueueManyCommitted } from '@/server/jobs/producer';
import type { Prisma, Tx } from '@/server/shared/db';
import { RUN_KINDS, type RunKind, type RunTrigger } from './run-kinds';

export interface CreateRunInput {
  actor: Actor;
  sourceId: string;
  destinationId: string | null;
  /** For restore and verify runs: the recovery point read. */
  inputPointId?: string;
  /** Kind-specific parameters (restore target …); never credentials. */
  params?: Prisma.InputJsonValue;
  /** The request's audit details. */
  details: Record<string, unknown>;
  /** What started it; absent = 'manual'. */
  trigger?: RunTrigger;
}

/**
 * Creates a QUEUED run of `kind` inside the caller's transaction, with the kind's attempt budget, and records the
 * kind's request audit event in the same transaction. Enqueue it with `enqueueRun` once the transaction committed.
 */
export async function createRun(tx: Tx, kind: RunKind, input: CreateRunInput) {
  const spec = RUN_KINDS[kind];
  const run = await tx.run.create({
    data: {
      kind,
      sourceId: input.sourceId,
      destinationId: input.destinationId,
      inputPointId: input.inputPointId,
      params: input.params,
      requestedBy: input.actor.label,
      maxAttempts: spec.maxAttempts,
      trigger: input.trigger ?? 'manual',
    },
    include: { source: { select: { name: true } } },
  });
  await recordAudit(tx, input.actor, {
    action: spec.requestAction,
    targetType: 'run',
    targetId: run.id,
    details: input.details,
  });
  return run;
}

/** Enqueues a committed run's job (its first generation). A Redis failure is logged: the sweep enqueues it later. */
export async function enqueueRun(run: { id: string; kind: RunKind; jobGeneration: number }): Promise<void> {
  await enqueueCommitted(RUN_KINDS[run.kind].jobName, { runId: run.id }, run.jobGeneration);
}

/**
 * `createRun` for many runs of one kind in one multi-row insert (the scheduler's batched fires): ids are made here so
 * the caller can point its slot rows at them before the insert. Each run still gets its own request audit event,
 * appended last, so the audit chain's lock is held only from the first append to the commit. Returns the runs in
 * the order of `inputs`.
 */
export async function createRuns(tx: Tx, kind: RunKind, inputs: ReadonlyArray<CreateRunInput & { id: string }>) {
  if (inputs.length === 0) return [];
  const spec = RUN_KINDS[kind];
  // One INSERT … SELECT FROM unnest (the columns as arrays): the ORM's createMany spends most of a burst's time on
  // its per-row work. The other columns take their defaults (QUEUED, attempt 0, generation 0); createdAt is this
  // clock's, as the ORM would give it, never the database session's zone.
  const createdAt = new Date().toISOString();
  await tx.$executeRaw`
    INSERT INTO "Run" ("id", "kind", "sourceId", "destinationId", "inputPointId", "params", "requestedBy", "maxAttempts", "trigger", "createdAt")
    SELECT id, ${kind}::"RunKind", src, dst, pt, COALESCE(par, '{}'::jsonb), req, ${spec.maxAttempts}::int, trg, ${createdAt}::timestamp
    FROM unnest(${inputs.map((i) => i.id)}::uuid[], ${inputs.map((i) => i.sourceId)}::uuid[], ${inputs.map((i) => i.destinationId)}::uuid[],
                ${inputs.map((i) => i.inputPointId ?? null)}::uuid[], ${inputs.map((i) => (i.params === undefined ? null : JSON.stringify(i.params)))}::jsonb[],
                ${inputs.map((i) => i.actor.label)}::text[], ${inputs.map((i) => i.trigger ?? 'manual')}::text[])
         AS t(id, src, dst, pt, par, req, trg)`;
  await recordAuditMany(
    tx,
    inputs.map((input) => ({ actor: input.actor, input: { action: spec.requestAction, targetType: 'run', targetId: input.id, details: input.details } })),
  );
  return inputs.map((input) => ({ id: input.id, kind, jobGeneration: 0 }));
}

/** `enqueueRun` for many committed runs: one Redis round trip (Queue.addBulk). */
export async function enqueueRuns(runs: ReadonlyArray<{ id: string; kind: RunKind; jobGeneration: number }>): Promise<void> {
  await enqueueManyCommitted(runs.map((r) => ({ name: RUN_KINDS[r.kind].jobName, runId: r.id, generation: r.jobGeneration })));
}
