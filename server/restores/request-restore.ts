import { chooseRestoreObjects } from '@/server/recovery-points/choose-restore-objects';
import { OBJECTS_IN_ORDER, pointObjects } from '@/server/recovery-points/point-objects';
import { z } from 'zod';
import { createRun, enqueueRun } from '@/server/runs/create-run';
import { afterCommit, readerOf, withTransaction, type VerbContext } from '@/server/shared/context';
import { isEngineError, type AnyEngine, type EngineRestoreMode } from '@/server/engines/engine';
import { getEngine, isEngineKind } from '@/server/engines/registry';
import type { Prisma, Tx } from '@/server/shared/db';
import { authorize, type Actor } from '@/server/auth/permissions';
import { approvalRuleFor } from '@/server/approvals/rules';
import { DomainError, notFound } from '@/server/shared/errors';
import { openSecret } from '@/server/shared/secrets';
import { toRunDto } from '@/server/runs/run-dto';
import {
  mergedTarget,
  restoreSecretFields,
  runSecretsContext,
  sealTargetSecrets,
  secretsDigest,
  splitTarget,
  unsealTarget,
  type TargetSecrets,
} from './target-secrets';

// The check is one connection and one catalog query; a server slower than this would hold the request for nothing.
const CHECK_TARGET_TIMEOUT_MS = 15_000;

export const RecoveryPointId = z.string().uuid();

/**
 * The envelope of a restore request. `target` is the engine's business (its `restoreTargetSchema` parses it once the
 * point's engine is known); `mode` is one of the engine's restore modes, by default its first.
 */
export const RequestRestoreInput = z.object({
  target: z.record(z.string(), z.unknown(), { message: 'target must be an object' }),
  mode: z.string().max(50, 'mode is at most 50 characters').optional(),
});
export type RequestRestoreInput = z.infer<typeof RequestRestoreInput>;

/** A restore as the point's engine understands it, before anything is written. */
export interface PreparedRestore {
  point: { id: string; sourceId: string; destinationId: string; createdAt: Date; sizeBytes: bigint };
  source: {
    id: string;
    name: string;
    config: unknown;
    secrets: string | null;
    tier: { id: string; name: string; restoreApprovals: number } | null;
  };
  engine: AnyEngine;
  /** The target as stored (run params, request, audit): secret fields given hold the marker `"(sealed)"`. */
  target: Prisma.InputJsonObject;
  /** The values of the target's secret fields (see target-secrets.ts): in memory only, sealed when stored. */
  secrets: TargetSecrets;
  /** Keyed digest of `secrets` for the approvals' `paramsHash`; undefined without secrets. */
  secretsDigest?: string;
  mode: string;
  modeSpec: EngineRestoreMode;
}

/**
 * Loads the point and its source (with the source's tier, whose rule applies), parses `target` with the point's
 * engine (issues under `target.…`) and checks `mode` is one of its modes (default: the one the target names through the
 * engine's `restoreModeOf`, else the first). The target's secret fields are split off (`secrets`; the target keeps the
 * marker); `sealed` are the values already sealed for it (a stored request's), which its markers stand for. Reads
 * through `reader` (the pool, or a caller's transaction). Does not contact the target: see `checkRestoreTargetOf`.
 */
export async function prepareRestore(
  reader: Tx,
  rawPointId: unknown,
  input: { target: Record<string, unknown>; mode?: string; sealed?: TargetSecrets },
): Promise<PreparedRestore> {
  const pointId = RecoveryPointId.safeParse(rawPointId);
  if (!pointId.success) throw notFound('recovery point', String(rawPointId));
  const found = await reader.recoveryPoint.findUnique({
    where: { id: pointId.data },
    select: {
      id: true,
      sourceId: true,
      destinationId: true,
      createdAt: true,
      sizeBytes: true,
      engine: true,
      location: true,
      sha256: true,
      codec: true,
      rawBytes: true,
      rawSha256: true,
      objects: OBJECTS_IN_ORDER,
      source: {
        select: {
          id: true,
          name: true,
          config: true,
          secrets: true,
          service: { select: { tier: { select: { id: true, name: true, restoreApprovals: true } } } },
        },
      },
    },
  });
  if (!found) throw notFound('recovery point', pointId.data);
  if (!isEngineKind(found.engine)) throw new DomainError('VALIDATION', `restoring ${found.engine} points is not supported by this server`);
  const engine = getEngine(found.engine);
  const secretFields = restoreSecretFields(engine);
  const parsed = parseRestoreTarget(engine, unsealTarget(input.target, input.sealed ?? {}, secretFields));
  const mode = input.mode ?? engine.restoreModeOf?.(parsed) ?? engine.restoreModes[0]?.mode;
  const modeSpec = engine.restoreModes.find((m) => m.mode === mode);
  if (mode === undefined || modeSpec === undefined) {
    const known = engine.restoreModes.map((m) => m.mode).join(', ');
    throw new DomainError('VALIDATION', `mode: ${engine.label} restores support ${known || 'no mode'}`, {
      issues: [{ path: ['mode'], message: `must be one of: ${known}` }],
    });
  }
  // A target that asks to replace data (`destructive: true`, e.g. a Redis replay over existing keys) is only taken
  // with a mode the engine marks destructive, so the destructive rule (one approval more, an admin's, a typed
  // confirmation) can never be skipped through a field of the target.
  if (!modeSpec.destructive && parsed.destructive === true) {
    const issues = [{ path: ['target', 'destructive'], message: `replaces existing data, which the ${modeSpec.label.toLowerCase()} mode never does: choose a destructive restore mode` }];
    throw new DomainError('VALIDATION', `target.destructive: ${issues[0]!.message}`, { issues });
  }
  const { source } = found;
  // Which objects the restore would read (e.g. the database `from` names in a multi-database point): refused now,
  // naming what the point holds, rather than by the worker later.
  try {
    chooseRestoreObjects(engine, source.config, parsed, pointObjects(found));
  } catch (err) {
    if (isEngineError(err, 'INVALID_CONFIG')) {
      // The field the engine names (e.g. `from`), or the target as a whole.
      const path = ['target', ...(err.field ?? [])];
      throw new DomainError('VALIDATION', `${path.join('.')}: ${err.message}`, { issues: [{ path, message: err.message }] });
    }
    throw err;
  }
  const { target, secrets } = splitTarget(secretFields, parsed);
  const digest = secretsDigest(secrets);
  return {
    point: { id: found.id, sourceId: found.sourceId, destinationId: found.destinationId, createdAt: found.createdAt, sizeBytes: found.sizeBytes },
    source: { id: source.id, name: source.name, config: source.config, secrets: source.secrets, tier: source.service?.tier ?? null },
    engine,
    target: target as Prisma.InputJsonObject,
    secrets,
    ...(digest !== undefined && { secretsDigest: digest }),
    mode,
    modeSpec,
  };
}

/** The engine's request-time check of the target (e.g. the database must not exist yet), with the source's credentials. */
export function checkRestoreTargetOf(prepared: PreparedRestore): Promise<void> {
  return checkTarget(prepared.engine, prepared.source, mergedTarget(prepared.target, prepared.secrets), prepared.mode);
}

export interface CreateRestoreRunInput {
  pointId: string;
  target: Prisma.InputJsonValue;
  mode: string;
  /** The target's secret values (`PreparedRestore.secrets`): sealed to the run (`run-target:<id>`), never in params. */
  secrets?: TargetSecrets;
  /** Executed by an admin's break-glass: the run is marked so. */
  breakGlass?: boolean;
  /** Extra audit details of the run's `restore.request` event (the restore request it executes …). */
  details?: Record<string, unknown>;
}

/**
 * Creates the RESTORE run inside the caller's transaction (with its `restore.request` audit event); enqueue it with
 * `enqueueRun` after the commit. Re-reads the point: it may have been deleted since the request was checked.
 */
export async function createRestoreRun(tx: Tx, actor: Actor, input: CreateRestoreRunInput) {
  const point = await tx.recoveryPoint.findUnique({
    where: { id: input.pointId },
    select: { id: true, sourceId: true, destinationId: true },
  });
  if (!point) throw notFound('recovery point', input.pointId);
  const run = await createRun(tx, 'RESTORE', {
    actor,
    sourceId: point.sourceId,
    destinationId: point.destinationId,
    inputPointId: point.id,
    params: { target: input.target, mode: input.mode },
    details: { recoveryPointId: point.id, sourceId: point.sourceId, target: input.target, mode: input.mode, ...input.details, ...(input.breakGlass ? { breakGlass: true } : {}) },
  });
  // Sealed to this run's id, so the blob opens only as this run's (the worker opens it with the same context).
  const sealed = sealTargetSecrets(input.secrets ?? {}, runSecretsContext(run.id));
  if (!input.breakGlass && sealed === null) return run;
  return tx.run.update({
    where: { id: run.id },
    data: { ...(sealed !== null && { targetSecrets: sealed }), ...(input.breakGlass && { breakGlass: true }) },
    include: { source: { select: { name: true } } },
  });
}

/**
 * Restores a recovery point at once, without a restore request: for callers with no person behind them (tests, the
 * benchmark, the system), and only where the rule needs no approval (a source without a tier, or a tier asking for
 * none, and a mode that is not destructive); anything else is refused (FORBIDDEN) and must go through a restore
 * request (server/approvals). The API always goes through a restore request. The target is parsed by the point's
 * engine and checked at once with its `checkRestoreTarget`, so a request the worker would refuse is refused here
 * instead. The run's job is enqueued once the run has committed (in a caller's transaction, at its commit).
 */
export async function requestRestore(ctx: VerbContext, rawPointId: unknown, raw: unknown) {
  const { actor } = ctx;
  authorize(actor, 'restore:request');
  if (!RecoveryPointId.safeParse(rawPointId).success) throw notFound('recovery point', String(rawPointId));
  const input = RequestRestoreInput.parse(raw);
  const prepared = await prepareRestore(readerOf(ctx), rawPointId, input);
  const rule = approvalRuleFor(prepared.source.tier, prepared.modeSpec.destructive);
  if (rule.requiredApprovals > 0) {
    throw new DomainError('FORBIDDEN', `restores of ${prepared.source.name} need approval (${rule.rule}): ask through a restore request`);
  }
  await checkRestoreTargetOf(prepared);
  const run = await withTransaction(ctx, (tx) =>
    createRestoreRun(tx, actor, { pointId: prepared.point.id, target: prepared.target, mode: prepared.mode, secrets: prepared.secrets }),
  );
  await afterCommit(ctx, () => enqueueRun(run));
  return toRunDto(run);
}

/**
 * The engine's restore target, parsed (secret fields still in it: the caller splits them off); issues point into
 * `target` so forms can show them under the field.
 */
function parseRestoreTarget(engine: AnyEngine, raw: Record<string, unknown>): Record<string, unknown> {
  const parsed = engine.restoreTargetSchema.safeParse(raw);
  if (parsed.success) return parsed.data as Record<string, unknown>;
  const issues = parsed.error.issues.map((i) => ({ path: ['target', ...i.path.map(String)], message: i.message }));
  throw new DomainError('VALIDATION', issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), { issues });
}

/** The engine's early check, with the source's credentials (opened here, never stored or logged). */
async function checkTarget(engine: AnyEngine, source: { id: string; config: unknown; secrets: string | null }, target: unknown, mode: string): Promise<void> {
  if (engine.checkRestoreTarget === undefined) return;
  const secrets = source.secrets ? openSecret(source.secrets, `source:${source.id}`) : {};
  try {
    // The mode rides along for engines whose check depends on it (an in-place restore wants the target to exist).
    const options = { signal: AbortSignal.timeout(CHECK_TARGET_TIMEOUT_MS), mode };
    await engine.checkRestoreTarget(source.config, secrets, target, options);
  } catch (err) {
    if (isEngineError(err, 'TARGET_EXISTS')) throw new DomainError('CONFLICT', err.message);
    if (isEngineError(err, 'INVALID_CONFIG')) throw new DomainError('VALIDATION', err.message);
    if (isEngineError(err)) throw new DomainError('CONNECTION_FAILED', `cannot check the restore target: ${err.message}`);
    throw err;
  }
}
