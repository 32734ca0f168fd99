import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { Redis } from 'ioredis';

import { EngineError, isEngineError, type EngineRestoreOptions, type EngineRestoreResult } from '../engine';

import type { RedisToolOptions } from './cli';
import { connectRedis, keyspace, redisError, type RedisEndpoint } from './client';
import { describeServer, modeOfTarget, REDIS_RUN_MODES, type RedisRestoreTarget, type RedisRunMode } from './config';
import { createProgressReporter } from '../progress';
import { portInUse, startScratch, type ScratchInstance } from './scratch';

const RDB_MAGIC = Buffer.from('REDIS', 'ascii');
/** Keys per SCAN page and per DUMP/RESTORE pipeline during a replay. */
const REPLAY_BATCH = 500;
/** A replay's scratch instance lives only as long as the replay; this is its TTL should the replay hang. */
const REPLAY_SCRATCH_TTL_SECONDS = 24 * 60 * 60;

/**
 * The mode a restore runs in: the request's, else the one the target names, else `scratch`; both given must agree
 * (`replay-replace` may run a target that says `replay`: the mode replaces, whatever the target's `destructive`).
 * `destructive: true` only in `replay-replace`: the destructive rule (approvals, typed confirmation) is the mode's.
 */
export function resolveMode(target: RedisRestoreTarget, requested: string | undefined): RedisRunMode {
  const own = modeOfTarget(target);
  let mode: string = requested ?? own ?? 'scratch';
  // Runs requested before the target could name its mode carry the default `scratch` beside a target saying replay.
  if (requested === 'scratch' && own === 'replay') mode = own;
  if (!(REDIS_RUN_MODES as readonly string[]).includes(mode)) throw new EngineError('INVALID_CONFIG', `unknown redis restore mode ${JSON.stringify(mode)}`);
  if (own !== undefined && own !== mode && !(mode === 'replay-replace' && own === 'replay')) {
    throw new EngineError('INVALID_CONFIG', `the restore mode ${JSON.stringify(mode)} contradicts the target's ${JSON.stringify(own)}`);
  }
  if (mode !== 'scratch' && target.host === undefined) throw new EngineError('INVALID_CONFIG', 'redis restore target is invalid: host: a replay needs the target host');
  if (mode === 'replay' && target.destructive) {
    throw new EngineError('INVALID_CONFIG', 'redis restore target is invalid: destructive: replacing keys is the mode "replay-replace" (a destructive restore)');
  }
  if (mode === 'scratch' && (target.host !== undefined || target.username !== undefined || target.password !== undefined || target.destructive)) {
    throw new EngineError('INVALID_CONFIG', 'redis restore target is invalid: host, username, password and destructive are only for a replay');
  }
  return mode as RedisRunMode;
}

/**
 * The request-time check: a scratch port must be free; a replay target must be reachable with its credentials
 * (whether its databases are empty is judged by the restore, which knows the snapshot's databases). Creates nothing.
 */
export async function checkRedisRestoreTarget(target: RedisRestoreTarget, mode: RedisRunMode, signal?: AbortSignal): Promise<void> {
  if (mode === 'scratch') {
    if (target.port !== undefined && (await portInUse(target.port))) {
      throw new EngineError('TARGET_EXISTS', `something already listens on 127.0.0.1:${target.port}; choose another port or leave it out`);
    }
    return;
  }
  const client = await connectRedis(replayEndpoint(target), signal);
  try {
    await client.ping().catch((err: unknown) => Promise.reject(redisError(err, { host: target.host!, port: target.port ?? 6379 })));
  } finally {
    client.disconnect();
  }
}

function replayEndpoint(target: RedisRestoreTarget): RedisEndpoint {
  return {
    host: target.host!,
    port: target.port ?? 6379,
    tls: target.tls,
    ...(target.username !== undefined && { username: target.username }),
    ...(target.password !== undefined && { password: target.password }),
  };
}

/** Writes `input` to a new private directory as dump.rdb; resolves with the directory and the byte count. */
async function spoolSnapshot(input: Readable, options: EngineRestoreOptions): Promise<{ dir: string; bytes: number }> {
  const progress = createProgressReporter('restore', options.onProgress);
  // mkdtemp makes the directory 0700: the snapshot and the scratch instance's password stay the worker user's.
  const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-redis-scratch-'));
  let bytes = 0;
  let header = Buffer.alloc(0);
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (header.length < RDB_MAGIC.length) header = Buffer.concat([header, chunk.subarray(0, RDB_MAGIC.length - header.length)]);
      bytes += chunk.length;
      progress.update(bytes);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(input, count, createWriteStream(path.join(dir, 'dump.rdb'), { mode: 0o600, flags: 'wx' }), { signal: options.signal });
    progress.flush();
    if (bytes === 0) throw new EngineError('EMPTY_OUTPUT', 'the snapshot is empty');
    if (!header.equals(RDB_MAGIC)) throw new EngineError('EMPTY_OUTPUT', 'not an RDB snapshot (bad header)');
    return { dir, bytes };
  } catch (err) {
    input.destroy();
    await rm(dir, { recursive: true, force: true });
    if (options.signal?.aborted) throw new EngineError('CANCELLED', 'restore cancelled');
    throw err;
  }
}

/** Restore into a scratch instance (see scratch.ts). The result carries its address, password and expiry. */
export async function restoreScratch(input: Readable, target: RedisRestoreTarget, options: EngineRestoreOptions, tools: RedisToolOptions): Promise<EngineRestoreResult> {
  const startedAt = Date.now();
  if (target.port !== undefined && (await portInUse(target.port))) {
    input.destroy();
    throw new EngineError('TARGET_EXISTS', `something already listens on 127.0.0.1:${target.port}; choose another port or leave it out`);
  }
  const { dir, bytes } = await spoolSnapshot(input, options);
  const instance = await startScratch({ dir, ttlSeconds: target.ttlSeconds, tools, ...(target.port !== undefined && { port: target.port }), ...(options.signal && { signal: options.signal }) });
  const keys = await withClient(instance, (c) => c.info('keyspace').then(keyspace)).catch(() => new Map<number, number>());
  return {
    bytes,
    durationMs: Date.now() - startedAt,
    target: `scratch Redis at ${instance.address} until ${instance.expiresAt.toISOString()}`,
    result: {
      address: instance.address,
      password: instance.password,
      expiresAt: instance.expiresAt.toISOString(),
      keys: Object.fromEntries([...keys].map(([db, n]) => [`db${db}`, n])),
    },
  };
}

async function withClient<T>(instance: ScratchInstance, fn: (c: Redis) => Promise<T>, db = 0): Promise<T> {
  const c = await connectRedis({ host: instance.host, port: instance.port, password: instance.password, db });
  try {
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/** One database's keys as written by a replay, with when each expires (0: never), for the undo and the comparison. */
interface WrittenKeys {
  keys: Buffer[];
  deadlines: number[];
}

/** What the comparison after a replay found in one database. */
export interface ReplayComparison {
  /** Keys the replay copied from the snapshot. */
  copied: number;
  /** Of those (less any whose TTL ran out meanwhile), how many the target holds now. */
  present: number;
  /** Keys the target database holds in all (a destructive replay leaves other keys there). */
  targetKeys: number;
  /** Keys whose value was read back from both sides and compared, and how many were equal. */
  sampled: number;
  equal: number;
}

/**
 * Replay: load the snapshot into a private scratch instance, then copy every key of every database into the target
 * server with DUMP / PTTL / RESTORE (RESTORE … REPLACE when `replace`, the destructive mode). A target database that
 * holds keys is refused unless `replace`, before anything is written. On failure without `replace` the keys written
 * so far are deleted again (they landed in databases that were empty). Afterwards every database is compared: the
 * key count (every copied key must be there; without `replace` the database must hold exactly those) and the values
 * of up to `REPLAY_SAMPLE` keys read back from both sides. A difference fails the restore.
 */
export async function restoreReplay(input: Readable, target: RedisRestoreTarget, replace: boolean, options: EngineRestoreOptions, tools: RedisToolOptions): Promise<EngineRestoreResult> {
  const startedAt = Date.now();
  const endpoint = replayEndpoint(target);
  const where = describeServer({ host: endpoint.host, port: endpoint.port });
  // Reach the target before reading a byte: a wrong password or a dead server fails at once.
  let probe: Redis;
  try {
    probe = await connectRedis(endpoint, options.signal);
  } catch (err) {
    input.destroy();
    throw err;
  }
  probe.disconnect();

  const { dir, bytes } = await spoolSnapshot(input, options);
  const scratch = await startScratch({ dir, ttlSeconds: REPLAY_SCRATCH_TTL_SECONDS, tools, ...(options.signal && { signal: options.signal }) });
  const written = new Map<number, WrittenKeys>();
  const comparison = new Map<number, ReplayComparison & { expired: number }>();
  try {
    const dbs = await withClient(scratch, (c) => c.info('keyspace').then(keyspace));
    // Every database first: refuse before writing anything.
    for (const db of dbs.keys()) {
      const size = await withTarget(endpoint, db, (t) => t.dbsize(), options.signal);
      if (size > 0 && !replace) {
        throw new EngineError('TARGET_EXISTS', `database ${db} on ${where} already holds ${size} keys; replay into empty databases, or use the destructive replay to replace keys`);
      }
    }
    const order = [...dbs.keys()].sort((a, b) => a - b);
    for (const db of order) {
      const keys: WrittenKeys = { keys: [], deadlines: [] };
      written.set(db, keys);
      await copyDatabase(scratch, endpoint, db, replace, keys, options.signal);
    }
    for (const db of order) {
      const found = await compareDatabase(scratch, endpoint, db, written.get(db)!, options.signal);
      comparison.set(db, found);
      const live = found.copied - found.expired;
      if (found.present !== live) {
        throw new EngineError('TOOL_FAILED', `database ${db} on ${where} holds ${found.present} of the ${live} keys replayed into it`);
      }
      // Without replace the database was empty: anything more than the replayed keys was written by someone else meanwhile.
      if (!replace && (found.targetKeys < live || found.targetKeys > found.copied)) {
        throw new EngineError('TOOL_FAILED', `database ${db} on ${where} holds ${found.targetKeys} keys after the replay, expected ${live}`);
      }
      if (found.equal !== found.sampled) {
        throw new EngineError('TOOL_FAILED', `database ${db} on ${where}: ${found.sampled - found.equal} of ${found.sampled} sampled keys differ from the snapshot (${found.firstDifference ?? 'value'})`);
      }
    }
  } catch (err) {
    if (!replace) await undoWritten(endpoint, written).catch(() => undefined);
    if (options.signal?.aborted) throw new EngineError('CANCELLED', 'replay cancelled');
    throw isEngineError(err) ? err : redisError(err, endpoint);
  } finally {
    await scratch.stop();
  }
  const copied = [...written].map(([db, w]) => [db, w.keys.length] as const);
  const total = copied.reduce((a, [, n]) => a + n, 0);
  const compared = [...comparison]
    .map(([db, c]) => `db${db} ${c.present}/${c.copied - c.expired} keys there (${c.targetKeys} in all), ${c.equal}/${c.sampled} sampled values equal`)
    .join('; ');
  return {
    bytes,
    durationMs: Date.now() - startedAt,
    target: `${total} keys replayed into ${where}${replace ? ' (replacing keys)' : ''}; compared: ${compared || 'no databases in the snapshot'}`,
    result: {
      address: where,
      keys: Object.fromEntries(copied.map(([db, n]) => [`db${db}`, n])),
      comparison: Object.fromEntries(
        [...comparison].map(([db, c]) => [`db${db}`, { copied: c.copied, present: c.present, targetKeys: c.targetKeys, sampled: c.sampled, equal: c.equal }]),
      ),
    },
  };
}

async function withTarget<T>(endpoint: RedisEndpoint, db: number, fn: (c: Redis) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const c = await connectRedis({ ...endpoint, db }, signal);
  try {
    return await fn(c);
  } catch (err) {
    throw redisError(err, endpoint);
  } finally {
    c.disconnect();
  }
}

async function copyDatabase(scratch: ScratchInstance, endpoint: RedisEndpoint, db: number, replace: boolean, written: WrittenKeys, signal?: AbortSignal): Promise<void> {
  const from = await connectRedis({ host: scratch.host, port: scratch.port, password: scratch.password, db });
  const to = await connectRedis({ ...endpoint, db }, signal).catch((err: unknown) => {
    from.disconnect();
    throw err;
  });
  try {
    let cursor = '0';
    do {
      if (signal?.aborted) throw new EngineError('CANCELLED', 'replay cancelled');
      const [next, keys] = await from.scanBuffer(cursor, 'COUNT', REPLAY_BATCH);
      cursor = next.toString();
      if (keys.length === 0) continue;
      const read = from.pipeline();
      for (const key of keys) {
        read.dumpBuffer(key);
        read.pttl(key);
      }
      const answers = (await read.exec()) ?? [];
      const write = to.pipeline();
      const batch: Buffer[] = [];
      const deadlines: number[] = [];
      const now = Date.now();
      keys.forEach((key, i) => {
        const [dumpErr, dump] = answers[2 * i] ?? [];
        const [ttlErr, ttl] = answers[2 * i + 1] ?? [];
        if (dumpErr || ttlErr) throw dumpErr ?? ttlErr;
        // Gone in between (expired): nothing to copy.
        if (dump === null || ttl === -2) return;
        const pttl = Math.max(0, Number(ttl));
        const args: (string | number | Buffer)[] = [key, pttl, dump as Buffer];
        if (replace) args.push('REPLACE');
        write.call('RESTORE', ...args);
        batch.push(key);
        deadlines.push(pttl > 0 ? now + pttl : 0);
      });
      const results = (await write.exec()) ?? [];
      for (const [err] of results) if (err) throw err;
      written.keys.push(...batch);
      written.deadlines.push(...deadlines);
    } while (cursor !== '0');
  } finally {
    from.disconnect();
    to.disconnect();
  }
}

/** Keys whose TTL ends this close to the comparison are left out of it: they may expire while it runs. */
const EXPIRY_MARGIN_MS = 2_000;
/** Keys per database whose values are read back from both sides after a replay. */
export const REPLAY_SAMPLE = 100;

/**
 * After a replay: how many of the keys written into `db` the target holds (EXISTS, keys about to expire left out),
 * its key count, and up to `REPLAY_SAMPLE` keys spread over the database read back from the scratch instance and the
 * target and compared (by DUMP, else by content: a set or hash DUMPs its members in hash-table order, and a newer
 * server writes another RDB version into its DUMP).
 */
async function compareDatabase(
  scratch: ScratchInstance,
  endpoint: RedisEndpoint,
  db: number,
  written: WrittenKeys,
  signal?: AbortSignal,
): Promise<ReplayComparison & { expired: number; firstDifference?: string }> {
  const from = await connectRedis({ host: scratch.host, port: scratch.port, password: scratch.password, db });
  const to = await connectRedis({ ...endpoint, db }, signal).catch((err: unknown) => {
    from.disconnect();
    throw err;
  });
  try {
    const cutoff = Date.now() + EXPIRY_MARGIN_MS;
    const live = written.keys.filter((_, i) => written.deadlines[i] === 0 || written.deadlines[i]! > cutoff);
    let present = 0;
    for (let i = 0; i < live.length; i += REPLAY_BATCH) present += await to.exists(...live.slice(i, i + REPLAY_BATCH));
    const targetKeys = await to.dbsize();
    // Evenly spread over the keys in SCAN order (which is hash order: no bias towards a prefix).
    const step = Math.max(1, Math.floor(live.length / REPLAY_SAMPLE));
    const sample = live.filter((_, i) => i % step === 0).slice(0, REPLAY_SAMPLE);
    let equal = 0;
    let firstDifference: string | undefined;
    for (const key of sample) {
      if (signal?.aborted) throw new EngineError('CANCELLED', 'replay cancelled');
      const [a, b] = await Promise.all([valueOf(from, key), valueOf(to, key)]);
      if (a === b) equal += 1;
      else firstDifference ??= `key ${JSON.stringify(key.toString('utf8').slice(0, 80))}`;
    }
    return {
      copied: written.keys.length,
      expired: written.keys.length - live.length,
      present,
      targetKeys,
      sampled: sample.length,
      equal,
      ...(firstDifference !== undefined && { firstDifference }),
    };
  } finally {
    from.disconnect();
    to.disconnect();
  }
}

/** A key's value as comparable text: whether it has a TTL, then its DUMP's payload or its content read by type. */
async function valueOf(c: Redis, key: Buffer): Promise<string> {
  const ttl = await c.pttl(key);
  if (ttl === -2) return 'missing';
  const type = await c.type(key);
  const hex = (b: Buffer | string) => (typeof b === 'string' ? Buffer.from(b) : b).toString('hex');
  let content: string;
  switch (type) {
    case 'string':
      content = hex((await c.getBuffer(key)) ?? Buffer.alloc(0));
      break;
    case 'list':
      content = (await c.lrangeBuffer(key, 0, -1)).map(hex).join(',');
      break;
    case 'set':
      content = (await c.smembersBuffer(key)).map(hex).sort().join(',');
      break;
    case 'hash':
      content = Object.entries(await c.hgetallBuffer(key))
        .map(([f, v]) => `${hex(f)}=${hex(v)}`)
        .sort()
        .join(',');
      break;
    case 'zset':
      content = ((await c.callBuffer('ZRANGE', key, '0', '-1', 'WITHSCORES')) as Buffer[]).map(hex).join(',');
      break;
    case 'stream':
      // Buffers serialise as their bytes: deterministic, which is all a comparison needs.
      content = JSON.stringify(await c.callBuffer('XRANGE', key, '-', '+'));
      break;
    default: {
      // A module type: only its DUMP says what it holds.
      const dump = await c.dumpBuffer(key);
      content = dump === null ? 'missing' : hex(dump.subarray(0, Math.max(0, dump.length - 10)));
    }
  }
  return `${type}:${ttl === -1 ? 'persistent' : 'expiring'}:${content}`;
}

async function undoWritten(endpoint: RedisEndpoint, written: Map<number, WrittenKeys>): Promise<void> {
  for (const [db, { keys }] of written) {
    if (keys.length === 0) continue;
    await withTarget(endpoint, db, async (c) => {
      for (let i = 0; i < keys.length; i += REPLAY_BATCH) await c.del(...keys.slice(i, i + REPLAY_BATCH));
    });
  }
}
