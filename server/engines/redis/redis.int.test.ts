/**
 * The Redis engine against real servers this file starts: what the conformance suite does not cover. The password
 * only ever in redis-cli's environment (checked in /proc during a snapshot), readable failures for a server that is
 * down or refuses the password, BGSAVE first, backupTo, verify, the keys and memory recorded with a backup, replay
 * (into an empty server, refusing a non-empty one, replacing in the destructive mode, the comparison of counts and
 * sampled values after it, failing against a server that evicts keys), the scratch instance's password, TTL, its end
 * with the worker process and `stopRestored`.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isEngineError } from '../engine';
import { connectRedis } from './client';
import { getEngine } from '../registry';
import { redisEngine } from './index';
import { freePort, portInUse, scratchInstances, startScratch, stopScratch } from './scratch';
import { asRecord, fillDatabase, readDatabase, snapTtls, startTestRedis, type TestRedis } from './testing';

let source: TestRedis;
let artifact: Buffer;
const config = () => ({ host: '127.0.0.1', port: source.port });
const secrets = () => ({ password: source.password });

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const err = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  return isEngineError(err) ? { code: err.code, message: err.message } : { code: 'not an EngineError', message: String(err) };
}

async function snapshot(cfg: unknown = config(), sec: unknown = secrets()): Promise<Buffer> {
  const { stream, done } = getEngine('redis').backup(cfg, sec, {});
  const [bytes] = await Promise.all([buffer(stream), done]);
  return bytes;
}

async function fresh(port: number, password: string, db = 0): Promise<Redis> {
  const c = new Redis({ host: '127.0.0.1', port, password, db, lazyConnect: false });
  c.on('error', () => undefined);
  return c;
}

async function readAll(port: number, password: string, dbs: number[]) {
  const out: Record<number, Map<string, { dump: string; expireAt: number }>> = {};
  for (const db of dbs) {
    const c = new Redis({ host: '127.0.0.1', port, password, db, lazyConnect: false });
    try {
      out[db] = await readDatabase(c);
    } finally {
      c.disconnect();
    }
  }
  return out;
}

beforeAll(async () => {
  source = await startTestRedis();
  await fillDatabase(source.client(0), 150, 'a');
  await fillDatabase(source.client(2), 150, 'b');
  artifact = await snapshot();
});

afterAll(async () => {
  for (const i of scratchInstances()) await i.stop();
  await source?.stop();
});

describe('redis backup', () => {
  it('gives the password to redis-cli through REDISCLI_AUTH only, never in its argv', async () => {
    const { stream, done } = redisEngine.backup(config(), secrets(), {});
    const seen: { argv: string; env: string }[] = [];
    // Look while the snapshot runs (the server waits repl-diskless-sync-delay before it sends, so there is time).
    const watching = (async () => {
      for (let i = 0; i < 100 && seen.length === 0; i += 1) {
        for (const entry of await readdir('/proc')) {
          if (!/^\d+$/.test(entry)) continue;
          const comm = (await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '')).trim();
          const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
          if (comm === 'redis-cli' && argv.includes(String(source.port))) {
            seen.push({ argv, env: await readFile(`/proc/${entry}/environ`, 'utf8').catch(() => '') });
          }
        }
        await sleep(50);
      }
    })();
    await Promise.all([buffer(stream), done, watching]);
    expect(seen.length, 'a redis-cli was seen during the snapshot').toBeGreaterThan(0);
    for (const s of seen) {
      expect(s.argv.split('\0').filter((a) => a !== '')).toEqual(['redis-cli', '-h', '127.0.0.1', '-p', String(source.port), '--no-auth-warning', '--rdb', '-']);
      expect(s.argv).not.toContain(source.password);
      expect(s.env.split('\0')).toContain(`REDISCLI_AUTH=${source.password}`);
      // Nothing else of the worker's environment: no DATABASE_URL, no master key.
      expect(s.env).not.toContain('DATABASE_URL');
    }
  });

  it('fails readably for a server that is down, and the probe says so', async () => {
    const port = await freePort();
    const down = { host: '127.0.0.1', port };
    expect(await failure(snapshot(down, secrets()))).toEqual({ code: 'CONNECTION_FAILED', message: expect.stringContaining(`cannot reach Redis at 127.0.0.1:${port}`) });
    const probe = await redisEngine.probe(down, secrets());
    expect(probe).toMatchObject({ ok: false, message: expect.stringContaining(`cannot reach Redis at 127.0.0.1:${port}`) });
  });

  it('fails readably for a wrong or missing password, never echoing it', async () => {
    const wrong = await failure(snapshot(config(), { password: 'not-the-password' }));
    expect(wrong).toEqual({ code: 'AUTH_FAILED', message: expect.stringContaining(`Redis at 127.0.0.1:${source.port} refused the login`) });
    expect(wrong.message).not.toContain('not-the-password');
    expect((await failure(snapshot(config(), {}))).code).toBe('AUTH_FAILED');
    const probe = await redisEngine.probe(config(), { password: 'not-the-password' });
    expect(probe.ok).toBe(false);
    expect(probe.message).toContain('refused the login');
    expect(await redisEngine.probe(config(), secrets())).toMatchObject({ ok: true, version: expect.stringMatching(/^Redis \d/) });
  });

  it('runs BGSAVE first when asked, and waits for LASTSAVE to advance', async () => {
    const c = source.client(0);
    // Right after another snapshot: the server may still count that replica's sync as an RDB child in progress,
    // which must not pass for the save asked for.
    await snapshot();
    const before = await c.lastsave();
    const bytes = await snapshot({ ...config(), bgsave: true });
    expect(await c.lastsave()).toBeGreaterThan(before);
    expect(existsSync(path.join(source.dir, 'dump.rdb'))).toBe(true);
    expect(bytes.subarray(0, 5).toString()).toBe('REDIS');
  });

  it('writes the snapshot straight into a file descriptor with backupTo, and verify accepts it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-redis-to-'));
    try {
      const file = path.join(dir, 'dump.rdb');
      const sink = createWriteStream(file);
      await new Promise((resolve) => sink.once('open', resolve));
      const { done } = redisEngine.backupTo!(config(), secrets(), sink, {});
      sink.destroy();
      await done;
      const bytes = await readFile(file);
      expect(bytes.subarray(0, 5).toString()).toBe('REDIS');
      const verified = await redisEngine.verify!(Readable.from([bytes]));
      expect(verified).toMatchObject({ bytes: bytes.length, entries: 2 * 150 * 7 });
      expect(verified.summary).toMatch(/^RDB looks OK: 2100 keys, written by Redis \d/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('records the keys per database and the memory in use with the backup', async () => {
    const { stream, done } = redisEngine.backup(config(), secrets(), {});
    const [, result] = await Promise.all([buffer(stream), done]);
    expect(result.details).toEqual({ keys: { db0: 1050, db2: 1050 }, usedMemory: expect.any(Number) });
    expect(result.details!.usedMemory as number).toBeGreaterThan(0);
  });

  it('verify rejects a truncated snapshot with the checker\'s reason', async () => {
    const err = await failure(redisEngine.verify!(Readable.from([artifact.subarray(0, artifact.length - 100)])));
    expect(err.code).toBe('TOOL_FAILED');
    expect(err.message).toMatch(/^redis-check-rdb rejected the snapshot: .+/);
  });
});

describe('redis restore: scratch', () => {
  it('answers the address, a password and the expiry; the instance needs the password and stops on request', async () => {
    const result = await redisEngine.restore(config(), secrets(), Readable.from([artifact]), { mode: 'scratch' }, {});
    const answer = result.result as { address: string; password: string; expiresAt: string; keys: Record<string, number> };
    expect(answer.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(answer.keys).toEqual({ db0: 1050, db2: 1050 });
    expect(new Date(answer.expiresAt).getTime() - Date.now()).toBeGreaterThan(3500_000);
    const port = Number(answer.address.split(':')[1]);
    // Without the password the instance answers nothing (NOAUTH).
    expect((await failure(connectRedis({ host: '127.0.0.1', port }))).code).toBe('AUTH_FAILED');
    const authed = await connectRedis({ host: '127.0.0.1', port, password: answer.password });
    expect(await authed.get('a:str:1')).toBe(await source.client(0).get('a:str:1'));
    authed.disconnect();
    expect(await stopScratch(answer.address)).toBe(true);
    expect(await portInUse(port)).toBe(false);
  });

  it('stopRestored stops exactly the instance a result names, once', async () => {
    const result = await redisEngine.restore(config(), secrets(), Readable.from([artifact]), { mode: 'scratch' }, {});
    const answer = result.result as { address: string; password: string };
    const port = Number(answer.address.split(':')[1]);
    // Another instance's password (a port reused since): left alone.
    expect(await redisEngine.stopRestored!({ ...answer, password: 'someone-elses-password' })).toBe(false);
    expect(await redisEngine.stopRestored!({ address: answer.address })).toBe(false);
    expect(await portInUse(port)).toBe(true);
    expect(await redisEngine.stopRestored!(answer)).toBe(true);
    expect(await portInUse(port)).toBe(false);
    expect(scratchInstances().some((i) => i.port === port)).toBe(false);
    expect(await redisEngine.stopRestored!(answer)).toBe(false);
  });

  it('stops the instance once its TTL is over and removes its directory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-redis-ttl-'));
    await writeFile(path.join(dir, 'dump.rdb'), artifact, { mode: 0o600 });
    const instance = await startScratch({ dir, ttlSeconds: 1 });
    expect(await portInUse(instance.port)).toBe(true);
    await sleep(2500);
    expect(await portInUse(instance.port)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('stops the scratch instances of a worker process that exits', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-redis-exit-'));
    try {
      await writeFile(path.join(dir, 'dump.rdb'), artifact, { mode: 0o600 });
      const script = path.join(dir, 'start-and-exit.ts');
      await writeFile(
        script,
        [
          `import { mkdtempSync, copyFileSync } from 'node:fs';`,
          `import path from 'node:path';`,
          `import { startScratch } from '@/server/engines/redis/scratch';`,
          `const dir = mkdtempSync(path.join(${JSON.stringify(dir)}, 'scratch-'));`,
          `copyFileSync(${JSON.stringify(path.join(dir, 'dump.rdb'))}, path.join(dir, 'dump.rdb'));`,
          `void startScratch({ dir, ttlSeconds: 3600 }).then((i) => { console.log('PORT ' + i.port); setTimeout(() => process.exit(0), 200); });`,
        ].join('\n'),
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: path.resolve(import.meta.dirname, '../../..'), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code, out).toBe(0);
      const port = Number(/PORT (\d+)/.exec(out)?.[1]);
      expect(port, out).toBeGreaterThan(0);
      await sleep(300);
      expect(await portInUse(port)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a target port something listens on, before reading the snapshot', async () => {
    const input = Readable.from([artifact]);
    expect((await failure(redisEngine.restore(config(), secrets(), input, { mode: 'scratch', port: source.port }, {}))).code).toBe('TARGET_EXISTS');
    expect(input.destroyed).toBe(true);
  });
});

describe('redis restore: replay', () => {
  let target: TestRedis;
  beforeAll(async () => {
    target = await startTestRedis();
  });
  afterAll(async () => {
    await target?.stop();
  });
  const replayTarget = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ mode: 'replay', host: '127.0.0.1', port: target.port, password: target.password, ...extra });

  it('copies every key with its TTL into an empty server, and compares counts and sampled values', async () => {
    const scratchBefore = scratchInstances().length;
    const result = await redisEngine.restore(config(), secrets(), Readable.from([artifact]), replayTarget(), {});
    const compared = { copied: 1050, present: 1050, targetKeys: 1050, sampled: 100, equal: 100 };
    expect(result.result).toEqual({ address: `127.0.0.1:${target.port}`, keys: { db0: 1050, db2: 1050 }, comparison: { db0: compared, db2: compared } });
    // The run log's line (the worker logs `target`) says what was compared.
    expect(result.target).toBe(
      `2100 keys replayed into 127.0.0.1:${target.port}; compared: db0 1050/1050 keys there (1050 in all), 100/100 sampled values equal; db2 1050/1050 keys there (1050 in all), 100/100 sampled values equal`,
    );
    const [src, dst] = await Promise.all([readAll(source.port, source.password, [0, 2]), readAll(target.port, target.password, [0, 2])]);
    for (const db of [0, 2]) expect(snapTtls(src[db]!, dst[db]!)).toEqual(asRecord(src[db]!));
    // The replay's own scratch instance is gone.
    expect(scratchInstances()).toHaveLength(scratchBefore);
  });

  it('refuses a database that holds keys, and writes nothing', async () => {
    await target.client(0).set('a:str:1', 'changed');
    const before = await readAll(target.port, target.password, [0, 2]);
    const err = await failure(redisEngine.restore(config(), secrets(), Readable.from([artifact]), replayTarget(), {}));
    expect(err).toEqual({ code: 'TARGET_EXISTS', message: expect.stringMatching(/^database 0 on 127\.0\.0\.1:\d+ already holds 2100|^database 0 on 127\.0\.0\.1:\d+ already holds \d+ keys/) });
    expect(await readAll(target.port, target.password, [0, 2])).toEqual(before);
  });

  it('replaces the keys in the destructive mode, keeping other keys, and compares what it replaced', async () => {
    await target.client(0).set('only-on-target', 'stays');
    // `{ mode: "replay", destructive: true }` is the mode replay-replace.
    const result = await redisEngine.restore(config(), secrets(), Readable.from([artifact]), replayTarget({ destructive: true }), {});
    expect(await target.client(0).get('a:str:1')).toBe(await source.client(0).get('a:str:1'));
    expect(await target.client(0).get('only-on-target')).toBe('stays');
    expect(result.result).toMatchObject({ comparison: { db0: { copied: 1050, present: 1050, targetKeys: 1051, sampled: 100, equal: 100 } } });
    expect(result.target).toContain('(replacing keys)');
    // The same through the request's mode, the target not saying destructive.
    await target.client(0).set('a:str:2', 'changed again');
    await redisEngine.restore(config(), secrets(), Readable.from([artifact]), replayTarget(), { mode: 'replay-replace' });
    expect(await target.client(0).get('a:str:2')).toBe(await source.client(0).get('a:str:2'));
    // destructive: true with the non-destructive mode: refused, nothing read.
    const input = Readable.from([artifact]);
    expect(await failure(redisEngine.restore(config(), secrets(), input, replayTarget({ destructive: true }), { mode: 'replay' }))).toMatchObject({ code: 'INVALID_CONFIG' });
    expect(input.destroyed).toBe(true);
  });

  it('fails the replay when the target does not keep every key (an evicting server), and removes what it wrote', async () => {
    const small = await startTestRedis();
    try {
      const admin = await fresh(small.port, small.password);
      // Room for a fraction of the snapshot: the server evicts keys as the replay writes them.
      const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
      await admin.config('SET', 'maxmemory', String(used + 300_000));
      await admin.config('SET', 'maxmemory-policy', 'allkeys-random');
      const target = { mode: 'replay' as const, host: '127.0.0.1', port: small.port, password: small.password };
      const err = await failure(redisEngine.restore(config(), secrets(), Readable.from([artifact]), target, {}));
      expect(err).toEqual({ code: 'TOOL_FAILED', message: expect.stringMatching(new RegExp(`^database 0 on 127\\.0\\.0\\.1:${small.port} holds \\d+ of the 1050 keys replayed into it$`)) });
      expect(await admin.dbsize()).toBe(0);
      admin.disconnect();
    } finally {
      await small.stop();
    }
  });

  it('fails readably for a wrong target password, before reading the snapshot', async () => {
    const input = Readable.from([artifact]);
    const err = await failure(redisEngine.restore(config(), secrets(), input, replayTarget({ password: 'nope-nope' }), {}));
    expect(err.code).toBe('AUTH_FAILED');
    expect(err.message).not.toContain('nope-nope');
    expect(input.destroyed).toBe(true);
  });
});
