import type { z } from 'zod';

import { parseEngineInput, type Engine } from '../engine';
import { backupRedis, backupRedisTo } from './backup';
import type { RedisToolOptions } from './cli';
import { RedisConfig, RedisRestoreTarget, RedisSecrets } from './config';
import { redisDefinition } from './definition';
import { probeRedis } from './probe';
import { checkRedisRestoreTarget, resolveMode, restoreReplay, restoreScratch } from './restore';
import { stopScratch } from './scratch';
import { verifyRedis } from './verify';

export { RedisConfig, RedisRestoreMode, RedisRestoreTarget, RedisSecrets } from './config';
export { REDIS_RDB_FORMAT } from './backup';
export { redisDefinition } from './definition';
export { scratchInstances, stopAllScratch, stopScratch, type ScratchInstance } from './scratch';
export type { RedisToolOptions } from './cli';

export type RedisEngine = Engine<z.input<typeof RedisConfig>, z.input<typeof RedisSecrets>, z.input<typeof RedisRestoreTarget>>;

/**
 * The Redis engine: an RDB snapshot over the network (`redis-cli --rdb -`, the replication protocol; optionally BGSAVE
 * first), `redis-check-rdb` as the structural check, restores into a scratch `redis-server` on the worker's loopback
 * (mode `scratch`, stopped early by `stopRestored`) or key by key into a server (mode `replay`, DUMP/RESTORE with
 * TTLs, into empty databases; `replay-replace`, the destructive one, RESTORE … REPLACE), probes with ioredis.
 */
export function createRedisEngine(tools: RedisToolOptions = {}): RedisEngine {
  const parse = (config: unknown, secrets: unknown) => ({
    config: parseEngineInput(RedisConfig, config, 'redis config'),
    secrets: parseEngineInput(RedisSecrets, secrets, 'redis secrets'),
  });

  return {
    ...redisDefinition,

    async checkRestoreTarget(config, secrets, target, options) {
      parse(config, secrets);
      const parsed = parseEngineInput(RedisRestoreTarget, target, 'redis restore target');
      return checkRedisRestoreTarget(parsed, resolveMode(parsed, options?.mode), options?.signal);
    },

    async probe(config, secrets, options) {
      const parsed = parse(config, secrets);
      return probeRedis(parsed.config, parsed.secrets, options);
    },

    backup(config, secrets, options) {
      const parsed = parse(config, secrets);
      return backupRedis(parsed.config, parsed.secrets, options, tools);
    },

    backupTo(config, secrets, sink, options) {
      const parsed = parse(config, secrets);
      return backupRedisTo(parsed.config, parsed.secrets, sink, options, tools);
    },

    async restore(config, secrets, input, target, options = {}) {
      let parsedTarget;
      let mode;
      try {
        parse(config, secrets);
        parsedTarget = parseEngineInput(RedisRestoreTarget, target, 'redis restore target');
        mode = resolveMode(parsedTarget, options.mode);
      } catch (err) {
        input.destroy();
        throw err;
      }
      return mode === 'scratch' ? restoreScratch(input, parsedTarget, options, tools) : restoreReplay(input, parsedTarget, mode === 'replay-replace', options, tools);
    },

    async stopRestored(result) {
      // A scratch restore's result: its address and the instance's own password, which no later instance on a reused
      // port shares (a replay's result has no password: its scratch instance is gone with the replay).
      const { address, password } = result;
      if (typeof address !== 'string' || typeof password !== 'string') return false;
      return stopScratch(address, { password });
    },

    async verify(input, options) {
      return verifyRedis(input, options, tools);
    },
  };
}

/** The engine with the Redis tools from PATH. */
export const redisEngine = createRedisEngine();
