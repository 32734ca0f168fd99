/**
 * TEST-ONLY: a throwaway `redis-server` on a free loopback port with a password, and a dataset of every key type.
 * Used by this folder's integration tests; never imported by production code.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Redis } from 'ioredis';

import { spawnProcess, type SpawnedProcess } from '@/server/process';

import { freePort } from './scratch';

export interface TestRedis {
  port: number;
  password: string;
  dir: string;
  client(db?: number): Redis;
  stop(): Promise<void>;
}

export async function startTestRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-test-redis-'));
  const password = options.password ?? `pw-${randomBytes(12).toString('hex')}`;
  const port = await freePort();
  const conf = path.join(dir, 'redis.conf');
  await writeFile(
    conf,
    [`bind 127.0.0.1`, `port ${port}`, `requirepass "${password}"`, `dir "${dir}"`, 'save ""', 'appendonly no', `logfile "${path.join(dir, 'log')}"`, 'loglevel warning', ''].join('\n'),
    { mode: 0o600 },
  );
  const child: SpawnedProcess = spawnProcess({ command: 'redis-server', args: [conf], stdout: 'ignore' });
  const clients: Redis[] = [];
  const client = (db = 0) => {
    const c = new Redis({ host: '127.0.0.1', port, password, db, lazyConnect: false, maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  for (let i = 0; ; i += 1) {
    const c = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      break;
    } catch {
      c.disconnect();
      if (i > 100) throw new Error('test redis-server did not start');
      await sleep(50);
    }
  }
  return {
    port,
    password,
    dir,
    client,
    stop: async () => {
      for (const c of clients) c.disconnect();
      child.kill();
      await child.exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `perType` keys of each type (string, hash, list, set, sorted set, stream, HyperLogLog) in database `db`; every
 * third key with a TTL of an hour or more (never expiring during a test), binary-safe values included.
 */
export async function fillDatabase(client: Redis, perType: number, prefix: string): Promise<number> {
  let n = 0;
  for (let start = 0; start < perType; start += 500) {
    const p = client.pipeline();
    for (let i = start; i < Math.min(perType, start + 500); i += 1) {
      const ttl = i % 3 === 0 ? 3_600_000 + i * 1000 : undefined;
      const keys = [`${prefix}:str:${i}`, `${prefix}:hash:${i}`, `${prefix}:list:${i}`, `${prefix}:set:${i}`, `${prefix}:zset:${i}`, `${prefix}:stream:${i}`, `${prefix}:hll:${i}`];
      p.set(keys[0]!, i % 10 === 0 ? Buffer.from([0, 255, i % 256, 10, 13]) : `value-${i}-${'x'.repeat(i % 50)}`);
      p.hset(keys[1]!, { a: String(i), b: 'two', ...(i % 7 === 0 ? Object.fromEntries(Array.from({ length: 200 }, (_, k) => [`f${k}`, `v${k}`])) : {}) });
      p.rpush(keys[2]!, ...Array.from({ length: 1 + (i % 20) }, (_, k) => `item${k}`));
      p.sadd(keys[3]!, ...Array.from({ length: 1 + (i % 15) }, (_, k) => (k % 2 === 0 ? String(k) : `m${k}`)));
      p.zadd(keys[4]!, ...Array.from({ length: 1 + (i % 12) }, (_, k) => [k * 1.5, `z${k}`]).flat());
      p.xadd(keys[5]!, '*', 'n', String(i), 'kind', 'event');
      p.xadd(keys[5]!, '*', 'n', String(i + 1));
      p.pfadd(keys[6]!, ...Array.from({ length: 1 + (i % 30) }, (_, k) => `e${k}`));
      if (ttl !== undefined) for (const key of keys) p.pexpire(key, ttl);
      n += keys.length;
    }
    const results = (await p.exec()) ?? [];
    for (const [err] of results) if (err) throw err;
  }
  return n;
}

export interface KeyState {
  /**
   * DUMP (hex) of the key. For a set or hash in `hashtable` encoding the DUMP lists the members in the order of the
   * instance's (randomly seeded) hash table, so equal data dumps differently in two servers: there it is the type,
   * encoding and the sorted members / field-value pairs instead.
   */
  dump: string;
  /** When the key expires (PEXPIRETIME, unix ms: stable while time passes), -1 without a TTL. */
  expireAt: number;
}

/** Every key of `db` with its DUMP and expiry time. */
export async function readDatabase(client: Redis): Promise<Map<string, KeyState>> {
  const out = new Map<string, KeyState>();
  let cursor = '0';
  do {
    const [next, keys] = await client.scanBuffer(cursor, 'COUNT', 1000);
    cursor = next.toString();
    if (keys.length === 0) continue;
    const p = client.pipeline();
    for (const k of keys) {
      p.dumpBuffer(k);
      p.call('PEXPIRETIME', k);
      p.type(k);
      p.object('ENCODING', k);
    }
    const r = (await p.exec()) ?? [];
    for (const [i, k] of keys.entries()) {
      const dump = r[4 * i]![1] as Buffer | null;
      const expireAt = r[4 * i + 1]![1] as number;
      const type = r[4 * i + 2]![1] as string;
      const encoding = r[4 * i + 3]![1] as string;
      if (dump === null) continue;
      let value = dump.toString('hex');
      if (encoding === 'hashtable' && type === 'set') value = `set/hashtable:${JSON.stringify((await client.smembersBuffer(k)).map((m) => m.toString('hex')).sort())}`;
      if (encoding === 'hashtable' && type === 'hash') {
        const flat = await client.hgetallBuffer(k);
        value = `hash/hashtable:${JSON.stringify(Object.entries(flat).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([f, v]) => [f, v.toString('hex')]))}`;
      }
      out.set(k.toString('hex'), { dump: value, expireAt });
    }
  } while (cursor !== '0');
  return out;
}

/**
 * The restored keys, with each expiry time snapped to the source's when within a second of it (a replay sets TTLs
 * relative to its own clock); any other difference shows up as the restored value. Plain objects, for deep equality.
 */
export function snapTtls(source: Map<string, KeyState>, restored: Map<string, KeyState>): Record<string, KeyState> {
  const out: Record<string, KeyState> = {};
  for (const [key, state] of restored) {
    const s = source.get(key);
    const close = s !== undefined && (s.expireAt === state.expireAt || (s.expireAt >= 0 && state.expireAt >= 0 && Math.abs(s.expireAt - state.expireAt) <= 1000));
    out[key] = close ? { dump: state.dump, expireAt: s.expireAt } : state;
  }
  return out;
}

export const asRecord = (m: Map<string, KeyState>): Record<string, KeyState> => Object.fromEntries(m);
