import type { z } from 'zod';

import type { EngineDefinition } from '../engine';
import { DEFAULT_SCRATCH_TTL_SECONDS, MAX_SCRATCH_TTL_SECONDS, RedisConfig, RedisRestoreTarget, RedisSecrets } from './config';

/** Everything about the `redis` kind that is not moving bytes (see `EngineDefinition`). */
export const redisDefinition = {
  kind: 'redis',
  label: 'Redis',
  description: 'Lifeboat takes an RDB snapshot over the network with redis-cli --rdb (the replication protocol) from the worker machines.',
  configSchema: RedisConfig,
  secretsSchema: RedisSecrets,
  restoreTargetSchema: RedisRestoreTarget,
  examples: {
    config: { host: 'cache.internal', port: 6379, tls: false, username: 'backup', bgsave: false },
    secrets: { password: 'example-only' },
    restoreTarget: { mode: 'scratch', ttlSeconds: DEFAULT_SCRATCH_TTL_SECONDS },
  },
  artifact: {
    extension: 'rdb',
    restoreHint: ({ decode }) => `mkdir restored && ${decode} > restored/dump.rdb && redis-server --port 6390 --dir restored --dbfilename dump.rdb --save '' --appendonly no`,
  },
  form: [
    { name: 'host', label: 'Host', type: 'text', required: true, placeholder: 'cache.internal or 10.0.0.7', row: 'server' },
    { name: 'port', label: 'Port', type: 'number', default: 6379, row: 'server', narrow: true },
    { name: 'tls', label: 'TLS', type: 'checkbox', default: false, help: "The server's certificate is checked against the worker's system CAs." },
    { name: 'username', label: 'User', type: 'text', maxLength: 128, placeholder: 'default', help: 'ACL user (Redis 6+); empty for the default user.', row: 'login' },
    { name: 'password', label: 'Password', type: 'password', help: 'Stored encrypted; given to redis-cli through REDISCLI_AUTH, never on its command line.', row: 'login' },
    {
      name: 'bgsave',
      label: 'BGSAVE first',
      type: 'checkbox',
      default: false,
      help: "Also have the server write its own dump.rdb (BGSAVE, then wait for LASTSAVE to advance) before Lifeboat's snapshot.",
    },
  ],
  restoreForm: [
    // No `mode` field: the dialog offers `restoreModes` itself; the API may still put `mode` into the target.
    { name: 'ttlSeconds', label: 'Scratch instance lifetime (seconds)', type: 'number', default: DEFAULT_SCRATCH_TTL_SECONDS, help: `At most ${MAX_SCRATCH_TTL_SECONDS} (a day).` },
    { name: 'host', label: 'Target host', type: 'text', help: 'Replay only.', row: 'server' },
    { name: 'port', label: 'Target port', type: 'number', row: 'server', narrow: true },
    { name: 'tls', label: 'Target uses TLS', type: 'checkbox', default: false },
    { name: 'username', label: 'Target user', type: 'text', maxLength: 128, row: 'login' },
    { name: 'password', label: 'Target password', type: 'password', row: 'login' },
    { name: 'destructive', label: 'Replace keys in a non-empty database', type: 'checkbox', default: false, help: 'Without it, a replay refuses a target database that already holds keys.' },
  ],
  // An RDB snapshot is the whole dataset: there is nothing an incremental could be relative to.
  backupTypes: ['full'],
  restoreModes: [
    {
      mode: 'scratch',
      label: 'Into a scratch instance',
      destructive: false,
      help: 'Starts a new redis-server on a free loopback port of the worker, loaded with the snapshot, and stops it after its lifetime; nothing existing is touched.',
    },
    {
      mode: 'replay',
      label: 'Replay into a server',
      destructive: false,
      help: 'Copies every key with its TTL (DUMP/RESTORE) into the target server; refuses a database there that already holds keys unless "replace" is ticked.',
    },
  ],
} as const satisfies EngineDefinition<z.input<typeof RedisConfig>, z.input<typeof RedisSecrets>, z.input<typeof RedisRestoreTarget>>;
