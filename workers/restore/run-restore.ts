import { createHash } from 'node:crypto';
import { z } from 'zod';
import { getEngine } from '@/server/engines/registry';
import { driverForDestination } from '@/server/storage/for-destination';
import { db } from '@/server/shared/db';
import { openSecret } from '@/server/shared/secrets';
import type { RunHandler } from '../runner/execute-run';

const RestoreParams = z.object({ target: z.object({ database: z.string() }) });

/**
 * restore.run: check the artifact's size and sha256 against the recovery point first (nothing reaches the target
 * before the bytes are proven whole), then stream it into a new database on the source's server.
 */
export const runRestore: RunHandler = async (claimed, ctx) => {
  const run = await db().run.findUniqueOrThrow({
    where: { id: claimed.id },
    include: { source: true, inputPoint: { include: { destination: true } } },
  });
  const point = run.inputPoint;
  if (!point) throw new Error('restore run has no recovery point');
  const params = RestoreParams.parse(run.params);
  const engine = getEngine(point.engine);
  const target = engine.restoreTargetSchema.parse({ database: params.target.database });
  const secrets = run.source.secrets ? openSecret<Record<string, unknown>>(run.source.secrets, `source:${run.source.id}`) : {};
  const driver = driverForDestination(point.destination);
  const expectedSize = Number(point.sizeBytes);

  ctx.progress({ phase: 'verifying', bytesDone: 0, bytesTotal: expectedSize });
  await ctx.log('info', `verifying ${point.location} (${expectedSize} bytes) before restoring`);
  const head = await driver.head(point.location);
  if (!head) throw new Error(`artifact ${point.location} is missing from destination "${point.destination.name}"`);
  if (head.size !== expectedSize) {
    throw new Error(`artifact ${point.location} is ${head.size} bytes, expected ${expectedSize}; refusing to restore`);
  }
  const hash = createHash('sha256');
  let read = 0;
  for await (const chunk of await driver.get(point.location)) {
    ctx.signal.throwIfAborted();
    hash.update(chunk as Buffer);
    read += (chunk as Buffer).length;
    ctx.progress({ bytesDone: read });
  }
  const actual = hash.digest('hex');
  if (actual !== point.sha256) {
    throw new Error(`artifact ${point.location} fails its checksum (sha256 ${actual}, expected ${point.sha256}); refusing to restore`);
  }

  ctx.progress({ phase: 'restoring', bytesDone: 0, bytesTotal: expectedSize });
  await ctx.log('info', `restoring into new database "${params.target.database}"`);
  const input = await driver.get(point.location);
  const result = await engine.restore(run.source.config, secrets, input, target, {
    signal: ctx.signal,
    inputBytes: expectedSize,
    onProgress: (p) => ctx.progress({ bytesDone: p.bytes }),
  });
  await ctx.log('info', `restored ${result.bytes} bytes into ${result.target} in ${Math.round(result.durationMs / 1000)} s`);
  return { details: { target: result.target, recoveryPointId: point.id } };
};
