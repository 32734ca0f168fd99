import { authorize } from '@/server/auth/permissions';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { notFound } from '@/server/shared/errors';
import { RunId } from './get-run';

export async function listRunLogs(ctx: VerbContext, rawId: unknown) {
  authorize(ctx.actor, 'run:read');
  const id = RunId.safeParse(rawId);
  if (!id.success) throw notFound('run', String(rawId));
  const reader = readerOf(ctx);
  // An unknown run is a 404 like GET /runs/{id}, not an empty log.
  if (!(await reader.run.findUnique({ where: { id: id.data }, select: { id: true } }))) throw notFound('run', id.data);
  // 1000 lines: a run logs a handful of lines per phase; the cap only guards against a runaway engine.
  const logs = await reader.runLog.findMany({ where: { runId: id.data }, orderBy: { id: 'asc' }, take: 1000 });
  return logs.map((l) => ({ id: l.id.toString(), at: l.at.toISOString(), level: l.level, message: l.message }));
}
