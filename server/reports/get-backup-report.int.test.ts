import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { db, disconnectDb } from '@/server/shared/db';
import { uniqueName } from '@/server/testing/pg';
import { getBackupReport } from './get-backup-report';
import { unusedDestinationPath } from '@/server/testing/paths';

const viewer: Actor = { type: 'system', id: null, label: 'report test viewer', role: 'VIEWER' };
// A "now" far from the wall clock (a random minute in 2090) so that other files' runs fall outside every window.
const now = new Date(Date.UTC(2090, 0, 1) + Math.floor(Math.random() * 1e6) * 60_000);
const H = 3_600_000;
const ago = (hours: number) => new Date(now.getTime() - hours * H);

let destinationId: string;
let sourceId: string;

beforeAll(async () => {
  destinationId = (await db().destination.create({ data: { name: uniqueName('report-dest'), kind: 'local', config: { path: unusedDestinationPath() } } })).id;
  sourceId = (await db().source.create({ data: { name: uniqueName('report-src'), kind: 'postgres', config: {} } })).id;
});

afterAll(async () => {
  await db().recoveryPoint.deleteMany({ where: { sourceId } });
  await db().run.deleteMany({ where: { sourceId } });
  await db().source.delete({ where: { id: sourceId } });
  await db().destination.delete({ where: { id: destinationId } });
  await disconnectDb();
});

async function backup(status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', hoursAgo: number, point?: { size: number; verifyFailed?: boolean }) {
  const startedAt = ago(hoursAgo);
  const finishedAt = new Date(startedAt.getTime() + 90_000);
  const run = await db().run.create({ data: { kind: 'BACKUP', status, sourceId, destinationId, createdAt: startedAt, startedAt, finishedAt } });
  if (point) {
    await db().recoveryPoint.create({
      data: {
        sourceId,
        runId: run.id,
        destinationId,
        engine: 'postgres',
        location: `x/${run.id}`,
        sizeBytes: point.size,
        sha256: '0'.repeat(64),
        manifest: {},
        createdAt: finishedAt,
        verifyError: point.verifyFailed ? 'sha256 mismatch' : null,
      },
    });
  }
  return run.id;
}

describe('getBackupReport', () => {
  it('lists the successful backups of the window oldest first and counts 24 h / 7 d outcomes', async () => {
    await backup('SUCCEEDED', 40 * 24, { size: 1 }); // outside 30 days
    const old = await backup('SUCCEEDED', 5 * 24, { size: 1_000 });
    const bad = await backup('SUCCEEDED', 2, { size: 2_000, verifyFailed: true });
    const fresh = await backup('SUCCEEDED', 1, { size: 3_000 });
    await backup('FAILED', 3);
    await backup('FAILED', 3 * 24);
    await backup('CANCELLED', 4);

    const report = await getBackupReport({ actor: viewer }, { days: '30' }, now);
    const mine = report.items.filter((r) => r.sourceId === sourceId);
    expect(mine.map((r) => r.runId)).toEqual([old, bad, fresh]);
    expect(mine[2]).toMatchObject({ durationSeconds: 90, storedBytes: 3_000, verifyFailed: false, at: ago(1).toISOString() });
    expect(mine[1]?.verifyFailed).toBe(true);
    expect(report.truncated).toBe(false);
    expect(report.outcomes.last24h).toEqual({ succeeded: 2, failed: 1 });
    expect(report.outcomes.last7d).toEqual({ succeeded: 3, failed: 2 });
  });

  it('refuses a window out of range, naming the field', async () => {
    await expect(getBackupReport({ actor: viewer }, { days: '0' }, now)).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/^days:/) });
    await expect(getBackupReport({ actor: viewer }, { days: 'abc' }, now)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('needs a signed-in actor', async () => {
    await expect(getBackupReport({ actor: null }, {}, now)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
