import { z } from 'zod';
import { getEngine } from '@/server/engines/registry';
import { openIdentity } from '@/server/keys/open-identity';
import { driverForDestination } from '@/server/storage/for-destination';
import { db } from '@/server/shared/db';
import { openSecret } from '@/server/shared/secrets';
import { errorMessage, type RunHandler } from '../runner/execute-run';
import { restoreArtifact } from './restore-artifact';

const RestoreParams = z.object({ target: z.object({ database: z.string() }) });

/**
 * restore.run: prove the stored artifact whole (size + sha256) before touching the target, then decrypt,
 * decompress and restore into a new database on the source's server.
 */
export const runRestore: RunHandler = async (claimed, ctx) => {
  const run = await db().run.findUniqueOrThrow({
    where: { id: claimed.id },
    include: {
      source: true,
      inputPoint: {
        include: { destination: true, copies: { where: { status: 'COPY_OK' }, include: { destination: true }, orderBy: { position: 'asc' } } },
      },
    },
  });
  const point = run.inputPoint;
  if (!point) throw new Error('restore run has no recovery point');
  const params = RestoreParams.parse(run.params);
  const engine = getEngine(point.engine);
  const secrets = run.source.secrets ? openSecret<Record<string, unknown>>(run.source.secrets, `source:${run.source.id}`) : {};
  const identities = point.keyId ? [await openIdentity(point.keyId)] : [];
  const storedBytes = Number(point.sizeBytes);

  // The primary object first, then each verified copy in policy order. Falling back is safe only while nothing
  // reached the target: a failure after the "restoring" phase began is final.
  const candidates = restoreCandidates(point);
  if (candidates.length === 0) {
    throw new Error(`recovery point ${point.id} has no stored object left to restore from (primary pruned, no OK copy)`);
  }
  if (point.primaryDeletedAt) {
    await ctx.log('info', `the primary object was pruned by retention on ${point.primaryDeletedAt.toISOString()}; restoring from a copy`);
  }
  let result: Awaited<ReturnType<typeof restoreArtifact>> | undefined;
  for (const [i, candidate] of candidates.entries()) {
    let restoring = false;
    await ctx.log('info', `verifying ${candidate.location} on ${candidate.label} (${storedBytes} bytes, ${point.codec}) before restoring`);
    try {
      result = await restoreArtifact({
        engine,
        config: run.source.config,
        secrets,
        target: { database: params.target.database },
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
          if (phase === 'restoring') void ctx.log('info', `checksum verified; restoring from ${candidate.label} into new database "${params.target.database}"`);
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
  await ctx.log('info', `restored ${result.bytes} bytes into ${result.target} in ${Math.round(result.durationMs / 1000)} s`);
  return { details: { target: result.target, recoveryPointId: point.id } };
};

interface CandidateSource {
  primaryDeletedAt: Date | null;
  location: string;
  destination: { name: string };
  copies: ReadonlyArray<{ location: string; destination: { name: string } }>;
}

/**
 * Where a restore of the point may read from, in order: the primary object unless retention pruned it
 * (`primaryDeletedAt`), then each OK copy in policy order (the caller passes only COPY_OK copies, sorted).
 */
export function restoreCandidates<P extends CandidateSource>(
  point: P,
): Array<{ label: string; destination: P['destination'] | P['copies'][number]['destination']; location: string }> {
  return [
    ...(point.primaryDeletedAt === null
      ? [{ label: `primary destination "${point.destination.name}"`, destination: point.destination, location: point.location }]
      : []),
    ...point.copies.map((c) => ({ label: `copy on destination "${c.destination.name}"`, destination: c.destination, location: c.location })),
  ];
}
