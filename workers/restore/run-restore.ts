import type { Prisma } from '@/server/shared/db';
import { z } from 'zod';
import { getEngine } from '@/server/engines/registry';
import { openIdentity } from '@/server/keys/open-identity';
import { nothingReadableMessage, readableObjects } from '@/server/recovery-points/readable-objects';
import { driverForDestination } from '@/server/storage/for-destination';
import { db } from '@/server/shared/db';
import { openSecret } from '@/server/shared/secrets';
import { errorMessage, type RunHandler } from '../runner/execute-run';
import { restoreArtifact, restoreObjectSet, type RestoreSetObject } from './restore-artifact';
import { OBJECTS_IN_ORDER, copyObjectKey, pointObjects } from '@/server/recovery-points/point-objects';
import { chooseRestoreObjects } from '@/server/recovery-points/choose-restore-objects';
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
        include: { destination: true, copies: { where: { status: 'COPY_OK' }, include: { destination: true } }, objects: OBJECTS_IN_ORDER },
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
  // Which objects of the point this restore reads (the engine's choice from the target, e.g. one database of a
  // multi-database point; by default the point's only object).
  const chosen = chooseRestoreObjects(engine, run.source.config, target, pointObjects(point));
  const storedBytes = chosen.reduce((sum, o) => sum + Number(o.sizeBytes), 0);
  const rawBytes = chosen.every((o) => o.rawBytes !== null) ? chosen.reduce((sum, o) => sum + Number(o.rawBytes), 0) : null;
  const what = chosen.length === 1 && chosen[0]!.role === 'data' ? '' : ` (${chosen.map((o) => o.role).join(', ')})`;

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
    const keyOf = (o: (typeof chosen)[number]) => (candidate.copyId === null ? o.key : copyObjectKey(point, candidate, o));
    await ctx.log('info', `verifying ${chosen.map(keyOf).join(', ')} on ${candidate.label} (${formatBytes(storedBytes)}, ${point.codec}) before restoring`);
    const common = {
      engine,
      config: run.source.config,
      secrets,
      target,
      ...(params.mode !== undefined && { mode: params.mode }),
      driver: driverForDestination(candidate.destination),
      identities,
      signal: ctx.signal,
      onPhase: (phase: 'verifying' | 'restoring') => {
        if (phase === 'restoring' && !restoring) void ctx.log('info', `checksum verified; restoring from ${candidate.label}${what} into ${JSON.stringify(withoutSecrets(params.target))}`);
        if (phase === 'restoring') restoring = true;
        ctx.progress({ phase, bytesDone: 0, bytesTotal: phase === 'verifying' ? storedBytes : rawBytes });
      },
      onProgress: (p: { bytes: number }) => ctx.progress({ bytesDone: p.bytes }),
    };
    try {
      if (chosen.length === 1) {
        const object = chosen[0]!;
        result = await restoreArtifact({
          ...common,
          object: { role: object.role, details: object.details, rawBytes: object.rawBytes === null ? null : Number(object.rawBytes) },
          location: keyOf(object),
          codec: object.codec,
          storedBytes: Number(object.sizeBytes),
          storedSha256: object.sha256,
          rawSha256: object.rawSha256,
        });
      } else {
        const objects: RestoreSetObject[] = chosen.map((o) => ({
          role: o.role,
          details: o.details,
          rawBytes: o.rawBytes === null ? null : Number(o.rawBytes),
          location: keyOf(o),
          codec: o.codec,
          storedBytes: Number(o.sizeBytes),
          storedSha256: o.sha256,
          rawSha256: o.rawSha256,
          extension: rawExtension(o.key, o.role),
        }));
        result = await restoreObjectSet({ ...common, objects });
      }
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

/** `…/<role>.<ext>[.zst][.age]` → `<ext>`: the raw bytes' extension of an object. */
function rawExtension(key: string, role: string): string {
  const file = key.slice(key.lastIndexOf('/') + 1);
  return file.slice(role.length + 1).replace(/(\.zst|\.age)+$/, '');
}

/** A restore target for the run's log: a replay target's password (and any other secret-looking key) left out. */
function withoutSecrets(target: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(target).map(([k, v]) => (/pass|secret|token/i.test(k) ? [k, '(hidden)'] : [k, v])));
}
