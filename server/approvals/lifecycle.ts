import type { Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { enqueueRun } from '@/server/runs/create-run';
import { checkRestoreTargetOf, createRestoreRun, prepareRestore, type PreparedRestore } from '@/server/restores';
import { openTargetSecrets, requestSecretsContext } from '@/server/restores/target-secrets';
import { afterCommit, type TransactionOptions, type VerbContext } from '@/server/shared/context';
import type { Tx } from '@/server/shared/db';
import { DomainError } from '@/server/shared/errors';
import { logger } from '@/server/shared/logger';
import { countingOf, loadRequest, peopleOf, type LoadedRequest } from './dto';
import { isExpiredAt, isSatisfied } from './rules';

/**
 * Every transaction that may execute a request also runs the engine's target check (one connection, at most 15 s)
 * while it holds the request's row lock, so two executions can never both pass; 30 s leaves room for that check and
 * the writes. Waiting 10 s for a connection: the pool is shared with the rest of the web process.
 */
export const REQUEST_TX: TransactionOptions = { timeout: 30_000, maxWait: 10_000 };

export const OPEN_STATUSES = ['PENDING_APPROVAL', 'APPROVED'] as const;
export const isOpen = (status: string) => (OPEN_STATUSES as readonly string[]).includes(status);

/** The person behind an actor (a token's owner for tokens); restore requests and decisions are a person's. */
export function personOf(actor: Actor, doing: string): string {
  if (!actor.userId) throw new DomainError('FORBIDDEN', `${doing} is a person's act: sign in or use a token that belongs to a user`);
  return actor.userId;
}

/**
 * Locks the request's row for the rest of the transaction and reads it with its decisions. `FOR NO KEY UPDATE`:
 * it serialises every decision and execution of one request (a concurrent approver waits and then sees this one's
 * approval) without conflicting with the key-share lock a decision's foreign key takes.
 */
export async function lockRequest(tx: Tx, id: string): Promise<LoadedRequest> {
  await tx.$queryRaw`SELECT id FROM "RestoreRequest" WHERE id = ${id}::uuid FOR NO KEY UPDATE`;
  return loadRequest(tx, id);
}

/** The refusal for a request that is not open: EXPIRED (409) for an expired one, INVALID_STATE (409) otherwise. */
export function notOpen(row: { id: string; status: string }, doing: string): DomainError {
  if (row.status === 'EXPIRED') return new DomainError('EXPIRED', `restore request ${row.id} expired; ask again`);
  return new DomainError('INVALID_STATE', `cannot ${doing} restore request ${row.id}: it is ${row.status}`);
}

/**
 * Marks an open request past its `expiresAt` EXPIRED (conditional on its status, so the sweep and a verb racing it
 * record it once) with its audit event. Returns whether this call did it.
 */
export async function expireInTx(tx: Tx, actor: Actor, row: { id: string; status: string; expiresAt: Date }, now = new Date()): Promise<boolean> {
  if (!isOpen(row.status) || !isExpiredAt(row.expiresAt, now)) return false;
  const { count } = await tx.restoreRequest.updateMany({
    where: { id: row.id, status: { in: [...OPEN_STATUSES] }, expiresAt: { lte: now } },
    data: { status: 'EXPIRED', closedAt: now },
  });
  if (count === 0) return false;
  await recordAudit(tx, actor, {
    action: 'restore-request.expire',
    targetType: 'restore_request',
    targetId: row.id,
    details: { from: row.status, expiresAt: row.expiresAt.toISOString() },
  });
  return true;
}

/** A destructive mode's typed confirmation: `confirm` must be the name the engine asks for (422 naming `confirm`). */
export function assertConfirmation(prepared: PreparedRestore, confirm: string | undefined): void {
  if (!prepared.modeSpec.destructive) return;
  // An engine that names no confirmation still gets one typed: the source's name.
  const expected = prepared.modeSpec.confirmationName?.(prepared.source.config, prepared.target) ?? prepared.source.name;
  if (confirm === expected) return;
  const what = confirm === undefined || confirm === '' ? 'is required' : 'does not match';
  const message = `${what}: a restore ${prepared.modeSpec.label.toLowerCase()} replaces what is there, so type "${expected}" to confirm`;
  throw new DomainError('VALIDATION', `confirm: ${message}`, { issues: [{ path: ['confirm'], message }] });
}

/** Whether the request's approvals satisfy its rule now (the approvers' current role and disabled flag). */
export function satisfiedNow(row: LoadedRequest): boolean {
  return isSatisfied(row, countingOf(row), peopleOf(row));
}

export interface ExecuteOptions {
  /** Who made it run: the last approval, the execute verb, or an admin's break-glass. */
  trigger: 'approval' | 'execute' | 'break-glass' | 'no approval rule';
}

/**
 * The checks of an execution, before anything is written (so a refusal here never dooms the transaction): the point
 * still exists, its engine re-parses the stored target (with its sealed secrets opened back in), and the engine's
 * target check passes.
 */
export async function prepareExecution(tx: Tx, row: LoadedRequest): Promise<PreparedRestore> {
  if (row.recoveryPointId === null) throw new DomainError('INVALID_STATE', `restore request ${row.id}: its recovery point was deleted`);
  const sealed = openTargetSecrets(row.targetSecrets, requestSecretsContext(row.id));
  const prepared = await prepareRestore(tx, row.recoveryPointId, { target: row.target as Record<string, unknown>, mode: row.mode, sealed });
  await checkRestoreTargetOf(prepared);
  return prepared;
}

/**
 * Executes a locked, open request inside the caller's transaction, once `prepareExecution` passed: moves it to
 * EXECUTED with a conditional update (so a concurrent execution finds nothing to move and no second run is made),
 * creates the RESTORE run (marked `breakGlass` when the request is) and links it, audited; the run is enqueued after
 * the commit. The caller has checked the rule. Any failure here rolls the whole transaction back.
 */
export async function executePrepared(ctx: VerbContext & { tx: Tx }, actor: Actor, row: LoadedRequest, prepared: PreparedRestore, opts: ExecuteOptions) {
  const { tx } = ctx;
  const now = new Date();
  const moved = await tx.restoreRequest.updateMany({
    where: { id: row.id, status: { in: [...OPEN_STATUSES] }, runId: null, expiresAt: { gt: now } },
    data: { status: 'EXECUTED', closedAt: now },
  });
  if (moved.count === 0) throw new DomainError('INVALID_STATE', `restore request ${row.id} was executed or closed meanwhile`);
  const run = await createRestoreRun(tx, actor, {
    pointId: prepared.point.id,
    target: prepared.target,
    mode: prepared.mode,
    // Re-sealed to the run: only the restoring worker opens them, as `run-target:<run id>`.
    secrets: prepared.secrets,
    breakGlass: row.breakGlass,
    details: { restoreRequestId: row.id, requester: row.requester.email, trigger: opts.trigger },
  });
  await tx.restoreRequest.update({ where: { id: row.id }, data: { runId: run.id } });
  await recordAudit(tx, actor, {
    action: 'restore-request.execute',
    targetType: 'restore_request',
    targetId: row.id,
    details: {
      runId: run.id,
      trigger: opts.trigger,
      breakGlass: row.breakGlass,
      approvers: countingOf(row),
      requiredApprovals: row.requiredApprovals,
      version: row.version,
      paramsHash: row.paramsHash,
    },
  });
  if (row.breakGlass) logger.warn({ restoreRequestId: row.id, runId: run.id, by: actor.label }, 'BREAK-GLASS restore executed without its approvals');
  await afterCommit(ctx, () => enqueueRun(run));
  return run;
}

/** `prepareExecution` then `executePrepared`: for callers whose whole transaction fails with a refusal. */
export async function executeInTx(ctx: VerbContext & { tx: Tx }, actor: Actor, row: LoadedRequest, opts: ExecuteOptions) {
  return executePrepared(ctx, actor, row, await prepareExecution(ctx.tx, row), opts);
}
