// Type-only: the actor is erased at runtime, so server/shared stays below server/auth (permissions.ts imports errors.ts).
import type { Actor } from '@/server/auth/permissions';
import { db, type Prisma, type Tx } from './db';

/** Work a verb defers until its transaction has committed (enqueue a job, set an S3 object lock). */
export type AfterCommitWork = () => Promise<unknown> | unknown;

/**
 * What every verb takes first: who acts and, optionally, the transaction to act in. With `tx`, the verb joins the
 * caller's transaction, so two verbs (approve → create the run; a scheduled slot → its run) commit, with their audit
 * events, at once or not at all.
 */
export interface VerbContext {
  /** Null when nobody is signed in: the verb's `authorize` throws UNAUTHENTICATED. */
  actor: Actor | null;
  /** The caller's transaction; absent, each verb opens its own. */
  tx?: Tx;
  /**
   * Set by `withTransaction` alongside `tx`: queues work for after the outermost commit. A `tx` from a bare
   * `db().$transaction` has none, so verbs with after-commit work refuse it (see `afterCommit`).
   */
  afterCommit?: (work: AfterCommitWork) => void;
}

/** Options for a transaction `withTransaction` opens; a joined transaction keeps its opener's. */
export interface TransactionOptions {
  maxWait?: number;
  timeout?: number;
  isolationLevel?: Prisma.TransactionIsolationLevel;
}

/**
 * Runs `fn` in `ctx.tx` when the caller gave one (no nested `$transaction`: Prisma has no savepoints here, and the
 * caller's commit or rollback decides for both), otherwise in a new `db().$transaction`. `fn` also gets the context
 * to hand to the verbs it calls, so they join the same transaction. Work queued with `afterCommit` runs, in order,
 * once the outermost transaction has committed, and never when it rolls back; a failure there propagates, though
 * the change stays committed (as an enqueue after commit always could).
 */
export async function withTransaction<T>(
  ctx: VerbContext,
  fn: (tx: Tx, inner: VerbContext) => Promise<T>,
  options?: TransactionOptions,
): Promise<T> {
  if (ctx.tx) return fn(ctx.tx, ctx);
  const queued: AfterCommitWork[] = [];
  const result = await db().$transaction(
    (tx) => fn(tx, { ...ctx, tx, afterCommit: (work) => void queued.push(work) }),
    options,
  );
  for (const work of queued) await work();
  return result;
}

/**
 * Runs `work` once `ctx`'s transaction has committed: now when `ctx` has none (the verb's own transaction is done),
 * later when the verb joined one opened by `withTransaction`. A transaction that cannot say when it commits (a bare
 * `db().$transaction`) is refused rather than risk acting on a change that then rolls back.
 */
export async function afterCommit(ctx: VerbContext, work: AfterCommitWork): Promise<void> {
  if (!ctx.tx) {
    await work();
    return;
  }
  if (!ctx.afterCommit) {
    throw new Error('this verb has work to do after commit: open the shared transaction with withTransaction(ctx, …)');
  }
  ctx.afterCommit(work);
}

/** The client a read-only verb reads through: the caller's transaction (it sees uncommitted writes) or the pool. */
export function readerOf(ctx: VerbContext): Tx {
  return ctx.tx ?? db();
}
