import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { getEngine, isEngineKind } from '@/server/engines/registry';
import { assertMayManageSourcesOf } from './create-source';
import { recordAudit } from '@/server/audit/record-audit';
import { deleteRecoveryPoint } from '@/server/retention/delete-recovery-point';
import { withTransaction, type VerbContext } from '@/server/shared/context';
import { DomainError, notFound } from '@/server/shared/errors';
import { SourceId } from './get-source';

/**
 * `DELETE /sources/{id}?keepPoints=false&confirm=<name>`. By default a source with recovery points is kept (its
 * points are what you would restore from); deleting them too takes `keepPoints=false` AND its name typed again.
 */
export const DeleteSourceOptions = z.object({
  keepPoints: z
    .union([z.boolean(), z.enum(['true', 'false'], { error: 'keepPoints must be true or false' })])
    .optional()
    .transform((v) => v !== false && v !== 'false'),
  // Source names are at most 100 characters; anything longer cannot match.
  confirm: z.string().max(100, 'confirm must be the source name').optional(),
});
export type DeleteSourceOptions = z.infer<typeof DeleteSourceOptions>;

// Every point is deleted in this one transaction (a few statements each), then the runs and the source. Two minutes
// covers thousands of points; a timeout only rolls back, and nothing is removed from storage before the commit.
const DELETE_SOURCE_TRANSACTION = { timeout: 120_000 } as const;

export interface DeleteSourceResult {
  id: string;
  name: string;
  pointsDeleted: string[];
  runsDeleted: number;
}

/**
 * Deletes a source. Refused (409 INVALID_STATE) while a run of it is queued or running, while it has recovery points
 * unless `keepPoints=false` with `confirm` equal to its name (422 naming `confirm` when it differs), and whenever a
 * point is held or locked (every such point named). Points go one by one through `deleteRecoveryPoint` (the one
 * code that deletes points: same guards, each audited, objects removed after the commit), then the source's run
 * history, then the source; `source.delete` lists what went. All in one transaction: any refusal keeps everything.
 */
export async function deleteSource(ctx: VerbContext, rawId: unknown, rawOptions: unknown = {}): Promise<DeleteSourceResult> {
  const { actor } = ctx;
  authorize(actor, 'inventory:write');
  const id = SourceId.safeParse(rawId);
  if (!id.success) throw notFound('source', String(rawId));
  const options = DeleteSourceOptions.parse(rawOptions);

  return withTransaction(
    ctx,
    async (tx, inner) => {
      // Locked: a run being created for it (its foreign key takes a share lock on this row) either committed first
      // and is seen below, or waits and then finds the source gone.
      const rows = await tx.$queryRaw<Array<{ id: string; name: string; kind: string }>>`
        SELECT id, name, kind FROM "Source" WHERE id = ${id.data}::uuid FOR UPDATE`;
      const source = rows[0];
      if (!source) throw notFound('source', id.data);
      if (isEngineKind(source.kind)) assertMayManageSourcesOf(actor, getEngine(source.kind), 'delete');

      const active = await tx.run.findFirst({
        where: { sourceId: source.id, status: { in: ['QUEUED', 'RUNNING'] } },
        select: { id: true, kind: true, status: true },
        orderBy: { createdAt: 'asc' },
      });
      if (active) {
        throw new DomainError(
          'INVALID_STATE',
          `source "${source.name}" has a ${active.status.toLowerCase()} ${active.kind.toLowerCase()} run (${active.id}); cancel it or wait for it to finish`,
        );
      }

      const points = await tx.recoveryPoint.findMany({
        where: { sourceId: source.id },
        select: { id: true, legalHold: true, lockedUntil: true },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      if (points.length > 0) {
        if (options.keepPoints) {
          throw new DomainError(
            'INVALID_STATE',
            `source "${source.name}" has ${points.length} recovery point${points.length === 1 ? '' : 's'}; ` +
              'to delete them with it, pass keepPoints=false and confirm=<the source name>',
            { recoveryPoints: points.length },
          );
        }
        if (options.confirm !== source.name) {
          const message = `type the source name "${source.name}" to delete it and its ${points.length} recovery point${points.length === 1 ? '' : 's'}`;
          throw new DomainError('VALIDATION', `confirm: ${message}`, { issues: [{ path: ['confirm'], message }] });
        }
        // Always the real clock, as deleteRecoveryPoint's own guard: no caller may expire a lock early.
        const now = Date.now();
        const protectedPoints = points.filter((p) => p.legalHold || (p.lockedUntil !== null && p.lockedUntil.getTime() > now));
        if (protectedPoints.length > 0) {
          const described = protectedPoints.map((p) => `${p.id} (${p.legalHold ? 'legal hold' : `locked until ${p.lockedUntil!.toISOString()}`})`);
          throw new DomainError(
            'INVALID_STATE',
            `source "${source.name}" cannot be deleted: ${protectedPoints.length} of its recovery points are protected: ${described.join(', ')}; ` +
              'release the holds (and wait for the locks) first',
            { protectedPointIds: protectedPoints.map((p) => p.id) },
          );
        }
      }

      const reason = `source "${source.name}" deleted by ${actor.label}`;
      for (const point of points) await deleteRecoveryPoint(inner, point.id, { reason, withSource: true });
      await tx.scheduleCursor.deleteMany({ where: { sourceId: source.id } });
      // Run history cannot outlive its source (the foreign key); the audit trail keeps every run's events.
      const runs = await tx.run.deleteMany({ where: { sourceId: source.id } });
      await tx.source.delete({ where: { id: source.id } });
      await recordAudit(tx, actor, {
        action: 'source.delete',
        targetType: 'source',
        targetId: source.id,
        details: { name: source.name, kind: source.kind, pointsDeleted: points.map((p) => p.id), runsDeleted: runs.count },
      });
      return { id: source.id, name: source.name, pointsDeleted: points.map((p) => p.id), runsDeleted: runs.count };
    },
    DELETE_SOURCE_TRANSACTION,
  );
}
