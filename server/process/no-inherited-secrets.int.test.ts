/**
 * Defect 3 of issue 7, seen from outside: a running child's /proc/<pid>/environ must not hold the worker's secrets.
 * Every child is started through the real path (engine → process helper, artifact pipeline → process helper) and
 * held running (a locked table, an input that never ends) while this reads its environment.
 */
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';

import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { createReadPipeline, createWritePipeline } from '@/server/artifacts/pipeline';
import { generateIdentity, type AgeKeyPair } from '@/server/artifacts/keys';
import { drain, waitFor } from '@/server/artifacts/test-support';
import { getEngine } from '@/server/engines/registry';
import { connectionParts, createDatabase, dropDatabase, serverUrl, uniqueName } from '@/server/testing/pg';

// What a worker's environment holds (fake values): none of it may reach a child.
const WORKER_SECRETS: Record<string, string> = {
  AWS_SECRET_ACCESS_KEY: 'fake-aws-secret-7f3a',
  AWS_ACCESS_KEY_ID: 'fake-aws-id-7f3a',
  DATABASE_URL: 'postgresql://catalog:fake-catalog-pw-7f3a@catalog.invalid:5432/lifeboat',
  REDIS_URL: 'redis://:fake-redis-pw-7f3a@redis.invalid:6379',
  LIFEBOAT_MASTER_KEY: 'fake-master-key-7f3a',
  LIFEBOAT_S3_SECRET_ACCESS_KEY: 'fake-lifeboat-s3-7f3a',
  NEXTAUTH_SECRET: 'fake-nextauth-7f3a',
  // The worker's own PG* settings would redirect a dump; zstd's would override the manifest's level.
  PGPASSWORD: 'fake-worker-pgpassword-7f3a',
  PGHOST: 'worker-pghost.invalid',
  ZSTD_CLEVEL: '19',
  NODE_OPTIONS: '--max-old-space-size=64',
};
const SOURCE_PASSWORD = 'source-password-on-purpose';

const SOURCE_DB = uniqueName('lb_env_src');
let server: ReturnType<typeof connectionParts>;
let keys: AgeKeyPair;
let saved: Record<string, string | undefined> = {};

/** process.env as a worker's would be; restored after each test. */
function plantWorkerSecrets(): void {
  saved = {};
  for (const [key, value] of Object.entries(WORKER_SECRETS)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
}

function restoreEnv(): void {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  saved = {};
}

/** Direct children of this process named `comm` whose argv contains `argvPart`, from /proc. */
async function findChild(comm: string, argvPart?: string): Promise<number | undefined> {
  const { readdir } = await import('node:fs/promises');
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const close = stat.lastIndexOf(')');
    if (close < 0 || stat.slice(stat.indexOf('(') + 1, close) !== comm) continue;
    if (Number(stat.slice(close + 2).split(' ')[1]) !== process.pid) continue;
    if (argvPart !== undefined) {
      const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
      if (!argv.includes(argvPart)) continue;
    }
    return Number(entry);
  }
  return undefined;
}

async function waitForChild(comm: string, argvPart?: string): Promise<number> {
  let pid: number | undefined;
  // 15 s: a busy 2-core test machine may take a while to start the tools.
  await waitFor(async () => (pid = await findChild(comm, argvPart)) !== undefined, 15_000);
  return pid!;
}

async function environOf(pid: number): Promise<Record<string, string>> {
  const raw = await readFile(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw
      .split('\0')
      .filter((entry) => entry.length > 0)
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

function expectNoWorkerSecrets(env: Record<string, string>, label: string, passedOnPurpose: readonly string[] = []): void {
  for (const key of Object.keys(WORKER_SECRETS)) {
    // By value, not name: Debian's pg_wrapper (/usr/bin/pg_restore) sets a PGHOST of its own before it execs the tool.
    if (!passedOnPurpose.includes(key)) expect(env[key], `${label} inherited ${key}`).not.toBe(WORKER_SECRETS[key]);
  }
  for (const [key, value] of Object.entries(env)) {
    expect(key.startsWith('LIFEBOAT_'), `${label} inherited ${key}`).toBe(false);
    for (const secret of Object.values(WORKER_SECRETS)) expect(value, `${label}'s ${key} holds a worker secret`).not.toContain(secret);
  }
  expect(env.PATH, `${label} has no PATH`).toBe(process.env.PATH);
}

beforeAll(async () => {
  server = connectionParts();
  keys = await generateIdentity();
  await createDatabase(SOURCE_DB, 'create table t as select g from generate_series(1, 1000) g;');
});

afterEach(restoreEnv);

afterAll(async () => {
  await dropDatabase(SOURCE_DB);
});

describe('children get an allow-listed environment, never the worker’s', () => {
  it('pg_dump (direct path), zstd and age of a real backup: PGPASSWORD on purpose for pg_dump only', async () => {
    // Hold an ACCESS EXCLUSIVE lock so pg_dump waits (with zstd and age) while we look at them.
    const locker = new pg.Client({ connectionString: serverUrl(SOURCE_DB) });
    await locker.connect();
    try {
      await locker.query('begin; lock table t in access exclusive mode');
      plantWorkerSecrets();
      const engine = getEngine('postgres');
      const config = { host: server.host, port: server.port, database: SOURCE_DB, user: server.user };
      const pipeline = createWritePipeline(
        { start: (sink) => engine.backupTo!(config, { password: SOURCE_PASSWORD }, sink, { compress: false }) },
        { compression: { level: 3 }, recipients: [keys.recipient] },
      );
      const outcome = drain(pipeline.stream);
      const done = pipeline.done.then(
        () => 'ok',
        (err: unknown) => err,
      );

      const dumpEnv = await environOf(await waitForChild('pg_dump', '--dbname='));
      expectNoWorkerSecrets(dumpEnv, 'pg_dump', ['PGPASSWORD']);
      expect(dumpEnv.PGPASSWORD).toBe(SOURCE_PASSWORD);
      for (const stage of ['zstd', 'age']) {
        const env = await environOf(await waitForChild(stage));
        expectNoWorkerSecrets(env, stage);
        expect(env.PGPASSWORD, `${stage} got the source password`).toBeUndefined();
        expect(env.ZSTD_CLEVEL).toBeUndefined();
      }

      restoreEnv();
      await locker.query('commit');
      // Behaviour unchanged: the dump completes once the lock is gone.
      expect(await done).toBe('ok');
      expect((await outcome).ended).toBe(true);
    } finally {
      await locker.end();
    }
  });

  it('pg_restore --list (verify), age -d and zstd -d of a read', async () => {
    plantWorkerSecrets();
    // Inputs that never end keep every tool waiting on its stdin.
    const archive = new PassThrough();
    const verifying = getEngine('postgres').verify!(archive).then(
      () => 'ok',
      (err: unknown) => err,
    );
    const stored = new PassThrough();
    const read = createReadPipeline(stored, {
      codec: 'zstd+age',
      identities: [keys.identity],
      expectedStoredSha256: '0'.repeat(64),
    });
    const reading = drain(read.stream);

    for (const [comm, argvPart] of [
      ['pg_restore', '--list'],
      ['age', '-d'],
      ['zstd', '-d'],
    ] as const) {
      const env = await environOf(await waitForChild(comm, argvPart));
      expectNoWorkerSecrets(env, comm);
      expect(env.PGPASSWORD, `${comm} got a password`).toBeUndefined();
    }

    restoreEnv();
    archive.destroy(new Error('test over'));
    stored.destroy(new Error('test over'));
    await verifying;
    await reading;
    await read.done.catch(() => undefined);
  });
});
