import type { Actor } from '@/server/auth/permissions';
import { createSource } from '@/server/inventory/create-source';
import { db } from '@/server/shared/db';
import { connectionParts, uniqueName } from '@/server/testing/pg';

/** Helpers shared by the worker integration tests (each test file still makes and removes its own data). */

export const operator: Actor = { type: 'system', id: null, label: 'worker test', role: 'OPERATOR' };

export type RunRow = Awaited<ReturnType<ReturnType<typeof db>['run']['findUniqueOrThrow']>>;

export const isTerminal = (r: { status: string }) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.status);

/** Polls the run row every 100 ms until `done`; on timeout throws with the run's state and `context()` (worker output). */
export async function waitForRun(runId: string, done: (r: RunRow) => boolean, timeoutMs: number, context: () => string = () => ''): Promise<RunRow> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = await db().run.findUniqueOrThrow({ where: { id: runId } });
    if (done(run)) return run;
    if (Date.now() > until) throw new Error(`run ${runId} stuck in ${run.status}/${run.phase} (attempt ${run.attempt})\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A local destination and a policy on it, for sources of this test file. */
export async function createPolicy(backupsDir: string): Promise<string> {
  const dest = await db().destination.create({ data: { name: uniqueName('dest'), kind: 'local', config: { path: backupsDir } } });
  const policy = await db().policy.create({ data: { name: uniqueName('policy'), destinationId: dest.id } });
  return policy.id;
}

/** A PostgreSQL source on the test server (or on `port`, e.g. a proxy) backed up under `policyId`. */
export async function addSource(database: string, policyId: string, port?: number) {
  const pgc = connectionParts();
  return createSource({ actor: operator }, {
    kind: 'postgres',
    name: uniqueName('src'),
    config: { host: pgc.host, port: port ?? pgc.port, database, user: pgc.user, ...(pgc.password ? { password: pgc.password } : {}) },
    policyId,
    testConnection: false,
  });
}

/** SQL for ~`megabytes` MB of incompressible rows: a dump long enough to stop a throttled worker mid-stream. */
export const incompressibleSql = (megabytes: number): string =>
  `CREATE TABLE blobs (id int PRIMARY KEY, b bytea);
   INSERT INTO blobs SELECT g, decode(string_agg(md5(g::text || ':' || i), ''), 'hex')
   FROM generate_series(1, ${Math.ceil(megabytes * 125)}) g, generate_series(1, 500) i GROUP BY g;`;
