/**
 * prepareDump with a session handed over by its caller (a multi-database point reuses the one it read the cluster's
 * facts in): used when it still works, replaced by a new one when it does not, ended on close either way. Against the
 * shared test server (DATABASE_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectionParts, createDatabase, dropDatabase, uniqueName, withClient } from '@/server/testing/pg';
import { connectClient } from './client';
import type { PostgresConfig, PostgresSecrets } from './config';
import { prepareDump, type PrepareDumpOptions } from './dump-session';

const DB = uniqueName('lbt_dump_session');
const { password, ...parts } = connectionParts();
const config = { ...parts, database: DB } as PostgresConfig;
const secrets: PostgresSecrets = password === undefined ? {} : { password };
const options: PrepareDumpOptions = { tool: 'pg_dump', exportSnapshot: true, countRows: true, strict: true };

/** Backend pids of the sessions open to DB, other than the one asking. */
const sessions = () =>
  withClient(DB, async (c) => (await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [DB])).rows.map((r) => r.pid));

describe('prepareDump with a handed-over session', () => {
  beforeAll(() => createDatabase(DB, 'CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 10);'));
  afterAll(() => dropDatabase(DB));

  it('exports the snapshot in the session it was given, and ends it on close', async () => {
    const client = await connectClient(config, secrets, DB);
    const pid = (client as unknown as { processID: number }).processID;
    const prepared = await prepareDump(config, secrets, DB, {}, { ...options, client });
    expect(prepared.snapshot).toMatch(/^[0-9A-F]+-[0-9A-F]+-\d+$/);
    expect(prepared.refusal).toBeUndefined();
    expect(await sessions()).toEqual([pid]);
    const counting = prepared.countRows();
    counting.stop();
    expect((await counting.result)?.tables).toEqual([{ schema: 'public', name: 't', rows: 10, exact: true }]);
    await prepared.close();
    await expect.poll(sessions).toEqual([]);
  });

  it('opens a new session when the one it was given no longer works', async () => {
    const client = await connectClient(config, secrets, DB);
    await client.end();
    const prepared = await prepareDump(config, secrets, DB, {}, { ...options, client });
    expect(prepared.snapshot).toBeDefined();
    expect(prepared.server?.num).toBeGreaterThan(0);
    expect(await sessions()).toHaveLength(1);
    await prepared.close();
    await expect.poll(sessions).toEqual([]);
  });

  it('ends the given session when it rejects before using it (cancelled)', async () => {
    const client = await connectClient(config, secrets, DB);
    const controller = new AbortController();
    controller.abort();
    await expect(prepareDump(config, secrets, DB, {}, { ...options, client, signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect.poll(sessions).toEqual([]);
  });
});
