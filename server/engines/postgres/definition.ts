import type { z } from 'zod';

import { parseEngineInput, type EngineDefinition } from '../engine';
import { describeServer, PostgresConfig, PostgresRestoreTarget, PostgresSecrets, PostgresSslMode } from './config';

// PostgreSQL identifiers are at most 63 bytes (NAMEDATALEN - 1); the schema counts bytes, the input characters.
const MAX_IDENTIFIER_CHARS = 63;

/** Everything about the `postgres` kind that is not moving bytes (see `EngineDefinition`). */
export const postgresDefinition = {
  kind: 'postgres',
  label: 'PostgreSQL',
  description: 'Lifeboat connects with pg_dump from the worker machines.',
  configSchema: PostgresConfig,
  secretsSchema: PostgresSecrets,
  restoreTargetSchema: PostgresRestoreTarget,
  examples: {
    config: { host: 'db.internal', port: 5432, database: 'orders', user: 'backup', sslmode: 'require' },
    secrets: { password: 'example-only' },
    restoreTarget: { database: 'orders_restored' },
  },
  artifact: {
    extension: 'pgdump',
    // A pg_dump archive (role `data`, `db.<name>`, `db-<n>`), or the `globals` object's SQL script (`globals.sql…`),
    // which is applied with psql, by hand and after reading it (docs/ENGINES.md).
    restoreHint: ({ file, decode }) =>
      /^globals\.sql(\.|$)/.test(file)
        ? `${decode} > globals.sql && psql -X -d postgres -f globals.sql`
        : `createdb NEW_DB && ${decode} | pg_restore --no-owner --exit-on-error -d NEW_DB`,
  },
  form: [
    { name: 'host', label: 'Host', type: 'text', required: true, placeholder: 'db.internal or 10.0.0.5', row: 'server' },
    { name: 'port', label: 'Port', type: 'number', default: 5432, row: 'server', narrow: true },
    { name: 'database', label: 'Database', type: 'text', required: true, maxLength: MAX_IDENTIFIER_CHARS },
    { name: 'user', label: 'User', type: 'text', required: true, maxLength: MAX_IDENTIFIER_CHARS, row: 'login' },
    { name: 'password', label: 'Password', type: 'password', help: 'Stored encrypted; leave empty for trust/peer auth or ~/.pgpass.', row: 'login' },
    {
      name: 'sslmode',
      label: 'SSL mode',
      type: 'select',
      placeholder: 'libpq default (prefer)',
      options: PostgresSslMode.options.map((mode) => ({ value: mode, label: mode })),
    },
    {
      name: 'databases',
      label: 'Databases to back up',
      type: 'text',
      placeholder: 'only the database above',
      help: 'Back up several databases, one archive each: names separated by commas, or * for every database of the server except templates. The database above is then where Lifeboat connects.',
    },
    { name: 'globals', label: 'Roles and tablespaces', type: 'checkbox', help: 'Also capture pg_dumpall --globals-only (password hashes only when the user is a superuser).' },
    { name: 'schemaOnly', label: 'Schema only', type: 'checkbox', help: 'Table definitions without rows (pg_dump --schema-only).', row: 'contents' },
    { name: 'dataOnly', label: 'Data only', type: 'checkbox', help: 'Rows without definitions (pg_dump --data-only); restored by hand into an existing schema.', row: 'contents' },
    {
      name: 'tables',
      label: 'Only these tables',
      type: 'text',
      placeholder: 'every table',
      help: 'pg_dump --table patterns separated by commas, e.g. public.users, audit_*; quote mixed-case names: "Orders". Each must match.',
    },
    { name: 'excludeTables', label: 'Skip these tables', type: 'text', placeholder: 'none', help: 'pg_dump --exclude-table patterns separated by commas.' },
  ],
  restoreForm: [
    {
      name: 'database',
      label: 'New database name',
      type: 'text',
      required: true,
      maxLength: MAX_IDENTIFIER_CHARS,
      // Unique enough per minute, and obviously a copy.
      default: '{config.database}_restore_{now}',
    },
    {
      name: 'from',
      label: 'Database of the backup',
      // The point's own databases (each archive's details name its database); offered only when it holds several.
      type: 'select',
      optionsFrom: { objectDetail: 'database' },
      help: 'This backup holds several databases: which one to restore.',
    },
    {
      name: 'tables',
      label: 'Only these tables',
      type: 'text',
      placeholder: 'every table',
      help: 'Names (or schema.name) separated by commas, with their indexes, constraints and sequences; into a new database only.',
    },
  ],
  // pg_dump is logical and whole: there is nothing an incremental could be relative to.
  backupTypes: ['full'],
  restoreModes: [
    {
      mode: 'new',
      label: 'Into a new database',
      destructive: false,
      help: "The restore creates a new database on the source's server; it fails rather than overwrite an existing one.",
      fields: ['database', 'from', 'tables'],
    },
    {
      mode: 'in-place',
      label: 'Over the existing database',
      destructive: true,
      help:
        "Replaces everything in an existing database on the source's server with the backup, in one transaction: if anything fails, the database is left exactly as it was.",
      // The target names an existing database here, not a new copy.
      fieldLabels: { database: 'Database to replace' },
      // The whole database is replaced: no table selection (the engine refuses `tables` here).
      fields: ['database', 'from'],
      // The person confirms by typing the very database whose contents go.
      confirmationField: 'database',
      confirmationName: (_config, target) => parseTarget(target).database,
      replaces: (config, target) => `database ${parseTarget(target).database} on ${describeServer(parseEngineInput(PostgresConfig, config, 'postgres config'))}, its current contents`,
    },
  ],
} as const satisfies EngineDefinition<z.input<typeof PostgresConfig>, z.input<typeof PostgresSecrets>, z.input<typeof PostgresRestoreTarget>>;

function parseTarget(target: unknown): PostgresRestoreTarget {
  return parseEngineInput(PostgresRestoreTarget, target, 'postgres restore target');
}
