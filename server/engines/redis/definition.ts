import type { z } from 'zod';

import { fillConfirmationTemplate } from '@/lib/confirmation-template';

import type { EngineDefinition } from '../engine';
import { DEFAULT_SCRATCH_TTL_SECONDS, MAX_SCRATCH_TTL_SECONDS, modeOfTarget, RedisConfig, RedisRestoreTarget, RedisSecrets, replayAddress } from './config';

/** What a person types to confirm a destructive replay: the target server as `host:port`, 6379 when no port is given. */
const REPLACE_CONFIRMATION = '{host}:{port|6379}';

/** The restore form fields of a replay: the server to copy into (a scratch instance's lifetime does not apply). */
const REPLAY_FIELDS = ['host', 'port', 'tls', 'username', 'password'] as const;

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
    { name: 'host', label: 'Target host', type: 'text', row: 'server' },
    { name: 'port', label: 'Target port', type: 'number', row: 'server', narrow: true },
    { name: 'tls', label: 'Target uses TLS', type: 'checkbox', default: false },
    { name: 'username', label: 'Target user', type: 'text', maxLength: 128, row: 'login' },
    { name: 'password', label: 'Target password', type: 'password', row: 'login', help: 'Sealed with the restore request and handed only to the worker that replays.' },
    // No `destructive` field: replacing keys is the destructive mode "replay-replace", with its approvals and typed
    // confirmation; the API's `{ "mode": "replay", "destructive": true }` stands for that mode (`restoreModeOf`).
  ],
  restoreSecretFields: ['password'],
  restoreModeOf: (target) => {
    const parsed = RedisRestoreTarget.safeParse(target);
    return parsed.success ? modeOfTarget(parsed.data) : undefined;
  },
  // An RDB snapshot is the whole dataset: there is nothing an incremental could be relative to.
  backupTypes: ['full'],
  restoreModes: [
    {
      mode: 'scratch',
      label: 'Into a scratch instance',
      destructive: false,
      help: 'Starts a new redis-server on a free loopback port of the worker, loaded with the snapshot, and stops it after its lifetime; nothing existing is touched.',
      // Always on 127.0.0.1 of the worker: no server to name.
      fields: ['ttlSeconds'],
    },
    {
      mode: 'replay',
      label: 'Replay into a server',
      destructive: false,
      help: 'Copies every key with its TTL (DUMP/RESTORE) into the target server, then compares key counts and sampled values; refuses a database there that already holds keys.',
      fields: REPLAY_FIELDS,
    },
    {
      mode: 'replay-replace',
      label: 'Replay into a server, replacing keys',
      destructive: true,
      help: 'Copies every key with its TTL into the target server even where its databases hold keys: keys of the same name are replaced (RESTORE … REPLACE), other keys stay.',
      fields: REPLAY_FIELDS,
      fieldLabels: { host: 'Host of the server whose keys are replaced' },
      // Typed as host:port: the server whose keys are replaced (the dashboard fills the same template).
      confirmationTemplate: REPLACE_CONFIRMATION,
      confirmationName: (_config, target) => fillConfirmationTemplate(REPLACE_CONFIRMATION, target as Record<string, unknown>),
      replaces: (_config, target) => `the snapshot's keys on Redis at ${replayAddress(target as { host?: unknown; port?: unknown })}`,
    },
  ],
} as const satisfies EngineDefinition<z.input<typeof RedisConfig>, z.input<typeof RedisSecrets>, z.input<typeof RedisRestoreTarget>>;
