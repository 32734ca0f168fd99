import { authorize, type Actor } from '@/server/auth/permissions';
import { db } from '@/server/shared/db';
import { notFound } from '@/server/shared/errors';
import { RunId } from './get-run';

export async function listRunLogs(actor: Actor | null, rawId: unknown) {
  authorize(actor, 'run:read');
  const id = RunId.safeParse(rawId);
  if (!id.success) throw notFound('run', String(rawId));
  // An unknown run is a 404 like GET /runs/{id}, not an empty log.
  if (!(await db().run.findUnique({ where: { id: id.data }, select: { id: true } }))) throw notFound('run', id.data);
  // 1000 lines: a run logs a handful of lines per phase; the cap only guards against a runaway engine.
  const logs = await db().runLog.findMany({ where: { runId: id.data }, orderBy: { id: 'asc' }, take: 1000 });
  return logs.map((l) => ({ id: l.id.toString(), at: l.at.toISOString(), level: l.level, message: l.message }));
}
