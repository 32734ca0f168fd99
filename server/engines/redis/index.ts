import type { z } from 'zod';

import { parseEngineInput, type Engine } from '../engine';
import { backupRedis, backupRedisTo } from './backup';
import type { RedisToolOptions } from './cli';
import { RedisConfig, RedisRestoreTarget, RedisSecrets } from './config';
import { redisDefinition } from './definition';
import { probeRedis } from './probe';
import { checkRedisRestoreTarget, resolveMode, restoreReplay, restoreScratch } from './restore';
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
 * (mode `scratch`) or key by key into a server (mode `replay`, DUMP/RESTORE with TTLs), probes with ioredis.
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
      return mode === 'replay' ? restoreReplay(input, parsedTarget, options, tools) : restoreScratch(input, parsedTarget, options, tools);
    },

    async verify(input, options) {
      return verifyRedis(input, options, tools);
    },
  };
}

/** The engine with the Redis tools from PATH. */
export const redisEngine = createRedisEngine();
