import { z } from 'zod';
import { authorize, type Actor } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { enqueueCommitted } from '@/server/jobs/producer';
import { db } from '@/server/shared/db';
import { DomainError, notFound } from '@/server/shared/errors';
import { toRunDto } from '@/server/runs/run-dto';

export const RecoveryPointId = z.string().uuid();

/** PostgreSQL identifiers are at most 63 bytes; anything else is quoted by the engine, never interpolated. */
export const RestoreTarget = z.object({
  database: z
    .string()
    .trim()
    .min(1, 'target.database is required')
    .refine((s) => Buffer.byteLength(s) <= 63, 'target.database is at most 63 bytes')
    .refine((s) => !s.includes('\0'), 'target.database may not contain NUL'),
});
export const RequestRestoreInput = z.object({ target: RestoreTarget });
export type RequestRestoreInput = z.infer<typeof RequestRestoreInput>;

/** Asks for a recovery point to be restored into a new database. */
export async function requestRestore(actor: Actor | null, rawPointId: unknown, raw: unknown) {
  authorize(actor, 'restore:request');
  const pointId = RecoveryPointId.safeParse(rawPointId);
  if (!pointId.success) throw notFound('recovery point', String(rawPointId));
  const input = RequestRestoreInput.parse(raw);

  const run = await db().$transaction(async (tx) => {
    const point = await tx.recoveryPoint.findUnique({
      where: { id: pointId.data },
      select: { id: true, sourceId: true, destinationId: true, engine: true },
    });
    if (!point) throw notFound('recovery point', pointId.data);
    if (point.engine !== 'postgres') throw new DomainError('VALIDATION', `restoring ${point.engine} points is not supported yet`);
    const created = await tx.run.create({
      data: {
        kind: 'RESTORE',
        sourceId: point.sourceId,
        destinationId: point.destinationId,
        inputPointId: point.id,
        params: { target: input.target },
        requestedBy: actor.label,
        // A restore that died half-way is not retried blindly: the target may hold a partial database.
        maxAttempts: 1,
      },
      include: { source: { select: { name: true } } },
    });
    await recordAudit(tx, actor, {
      action: 'restore.request',
      targetType: 'run',
      targetId: created.id,
      details: { recoveryPointId: point.id, sourceId: point.sourceId, target: input.target },
    });
    return created;
  });
  await enqueueCommitted('restore.run', { runId: run.id });
  return toRunDto(run);
}
