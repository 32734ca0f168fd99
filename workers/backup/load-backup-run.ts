import { Batcher } from '@/server/shared/batcher';
import { db } from '@/server/shared/db';

// What a backup reads of its run: the source with its policy and copy destinations, and the run's destination.
const BACKUP_RUN_INCLUDE = {
  source: { include: { policy: { include: { copies: { orderBy: { position: 'asc' } } } } } },
  destination: true,
} as const;

async function loadMany(runIds: string[]) {
  const rows = await db().run.findMany({ where: { id: { in: [...new Set(runIds)] } }, include: BACKUP_RUN_INCLUDE });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return runIds.map((id) => byId.get(id) ?? null);
}

type BackupRun = NonNullable<Awaited<ReturnType<typeof loadMany>>[number]>;

// A burst of backups (a minute boundary of many schedules) reads its runs a few hundred at a time: the relation
// reads (source, policy, copies, destination) are then one query each for the lot instead of each per run.
let loader: Batcher<string, BackupRun | null> | undefined;

/** The run of a backup with what it needs, read together with the other backups starting at the same moment. */
export async function loadBackupRun(runId: string): Promise<BackupRun> {
  loader ??= new Batcher(loadMany, { maxBatch: 200, lingerMs: 1 });
  const run = await loader.submit(runId);
  if (!run) throw new Error(`run ${runId} not found`);
  return run;
}
