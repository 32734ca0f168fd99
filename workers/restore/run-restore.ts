import type { Prisma } from '@/server/shared/db';
import { z } from 'zod';
import { getEngine } from '@/server/engines/registry';
import { openIdentity } from '@/server/keys/open-identity';
import { nothingReadableMessage, readableObjects } from '@/server/recovery-points/readable-objects';
import { driverForDestination } from '@/server/storage/for-destination';
import { db } from '@/server/shared/db';
import { openSecret } from '@/server/shared/secrets';
import { errorMessage, type RunHandler } from '../runner/execute-run';
import { restoreArtifact } from './restore-artifact';
import { formatBytes, formatSeconds } from '@/lib/format';

// The target is the engine's business: its restore() parses it with its restoreTargetSchema (the verb did too).
// `mode` as the request verb parsed it (one of the engine's restoreModes; absent on runs made before modes existed).
const RestoreParams = z.object({ target: z.record(z.string(), z.unknown()), mode: z.string().optional() });

/**
 * restore.run: prove the stored artifact whole (size + sha256) before touching the target, then decrypt,
 * decompress and restore into the target on the source's server, in the run's restore mode (the engine's default,
 * e.g. a new database, or a destructive one such as PostgreSQL's `in-place`).
 */
export const runRestore: RunHandler = async (claimed, ctx) => {
  const run = await db().run.findUniqueOrThrow({
    where: { id: claimed.id },
    include: {
      source: true,
      inputPoint: {
        include: { destination: true, copies: { where: { status: 'COPY_OK' }, include: { destination: true } } },
      },
    },
  });
  const point = run.inputPoint;
  if (!point) throw new Error('restore run has no recovery point');
  const params = RestoreParams.parse(run.params);
  const engine = getEngine(point.engine);
  const secrets = run.source.secrets ? openSecret<Record<string, unknown>>(run.source.secrets, `source:${run.source.id}`) : {};
  const identities = point.keyId ? [await openIdentity(point.keyId)] : [];
  // The target's credentials (a replay target's password) were sealed to this run by the request verb; the engine
  // gets them merged into the target, and they never reach params, logs or the job payload.
  const target = run.targetSecrets ? { ...params.target, ...openSecret<Record<string, unknown>>(run.targetSecrets, `run-target:${run.id}`) } : params.target;
  const storedBytes = Number(point.sizeBytes);

  // The one reading order (readableObjects): the primary object, then each OK copy in policy order. Falling back is
  // safe only while nothing reached the target: a failure after the "restoring" phase began is final.
  const candidates = readableObjects(point);
  if (candidates.length === 0) throw new Error(nothingReadableMessage(point, 'restore from'));
  if (point.primaryDeletedAt) {
    await ctx.log('info', `the primary object was pruned by retention on ${point.primaryDeletedAt.toISOString()}; restoring from a copy`);
  }
  let result: Awaited<ReturnType<typeof restoreArtifact>> | undefined;
  for (const [i, candidate] of candidates.entries()) {
    let restoring = false;
    await ctx.log('info', `verifying ${candidate.location} on ${candidate.label} (${formatBytes(storedBytes)}, ${point.codec}) before restoring`);
    try {
      result = await restoreArtifact({
        engine,
        config: run.source.config,
        secrets,
        target,
        ...(params.mode !== undefined && { mode: params.mode }),
        driver: driverForDestination(candidate.destination),
        location: candidate.location,
        codec: point.codec,
        storedBytes,
        storedSha256: point.sha256,
        rawSha256: point.rawSha256,
        identities,
        signal: ctx.signal,
        onPhase: (phase) => {
          if (phase === 'restoring') restoring = true;
          ctx.progress({ phase, bytesDone: 0, bytesTotal: phase === 'verifying' ? storedBytes : point.rawBytes === null ? null : Number(point.rawBytes) });
          if (phase === 'restoring') void ctx.log('info', `checksum verified; restoring from ${candidate.label} into ${JSON.stringify(withoutSecrets(params.target))}`);
        },
        onProgress: (p) => ctx.progress({ bytesDone: p.bytes }),
      });
      break;
    } catch (err) {
      if (restoring || ctx.signal.aborted || i === candidates.length - 1) throw err;
      await ctx.log('warn', `${candidate.label} unusable (${errorMessage(err)}); trying the next copy`);
    }
  }
  if (!result) throw new Error('no copy of the recovery point could be read');
  await ctx.log('info', `restored ${formatBytes(result.bytes)} into ${result.target} in ${formatSeconds(result.durationMs / 1000)}`);
  // What the engine answers (a scratch instance's address) becomes the run's `result`, committed with SUCCEEDED.
  const answer = result.result;
  return {
    details: { target: result.target, recoveryPointId: point.id },
    ...(answer !== undefined && {
      onCommit: async (tx) => {
        await tx.run.update({ where: { id: run.id }, data: { result: answer as Prisma.InputJsonObject } });
      },
    }),
  };
};

/** A restore target for the run's log: a replay target's password (and any other secret-looking key) left out. */
function withoutSecrets(target: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(target).map(([k, v]) => (/pass|secret|token/i.test(k) ? [k, '(hidden)'] : [k, v])));
}
