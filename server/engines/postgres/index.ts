import type { z } from 'zod';

import { parseEngineInput, type Engine } from '../engine';
import { backupPostgres, backupPostgresTo, type PostgresToolOptions } from './backup';
import { checkPostgresRestoreTarget } from './check-restore-target';
import { PostgresConfig, PostgresRestoreTarget, PostgresSecrets } from './config';
import { postgresDefinition } from './definition';
import { backupPostgresObjects, choosePostgresObjects } from './objects';
import { probePostgres } from './probe';
import { restorePostgres, restorePostgresFrom } from './restore';
import { verifyPostgres } from './verify';

export { PostgresConfig, PostgresRestoreMode, PostgresRestoreTarget, PostgresSecrets, PostgresSslMode } from './config';
export { POSTGRES_DUMP_FORMAT, POSTGRES_GLOBALS_FORMAT, type PostgresToolOptions } from './backup';
export { databaseRole, GLOBALS_ROLE } from './objects';
export { EXACT_COUNT_MAX_BYTES, type RowCountDetails, type TableRowCount } from './row-counts';
export { postgresDefinition } from './definition';

export type PostgresEngine = Engine<z.input<typeof PostgresConfig>, z.input<typeof PostgresSecrets>, z.input<typeof PostgresRestoreTarget>>;

/**
 * The PostgreSQL engine: `pg_dump -Fc` backups, `pg_restore` into a new database (mode `new`) or over an existing
 * one in a single transaction (mode `in-place`, through psql), `pg_restore --list` as the structural check of an
 * archive, probes with node-postgres. Sources with `databases` or `globals` are backed up as several objects
 * (`backupObjects`, objects.ts): one archive per database plus a `pg_dumpall --globals-only` script.
 * `tools.binDir` picks a specific client version (pg_dump must be at least the server's major version).
 */
export function createPostgresEngine(tools: PostgresToolOptions = {}): PostgresEngine {
  const parse = (config: unknown, secrets: unknown) => ({
    config: parseEngineInput(PostgresConfig, config, 'postgres config'),
    secrets: parseEngineInput(PostgresSecrets, secrets, 'postgres secrets'),
  });

  return {
    ...postgresDefinition,

    async checkRestoreTarget(config, secrets, target, options) {
      const parsed = parse(config, secrets);
      const parsedTarget = parseEngineInput(PostgresRestoreTarget, target, 'postgres restore target');
      return checkPostgresRestoreTarget(parsed.config, parsed.secrets, parsedTarget, options);
    },

    async probe(config, secrets, options) {
      const parsed = parse(config, secrets);
      return probePostgres(parsed.config, parsed.secrets, options, tools);
    },

    backup(config, secrets, options) {
      const parsed = parse(config, secrets);
      return backupPostgres(parsed.config, parsed.secrets, options, tools);
    },

    backupTo(config, secrets, sink, options) {
      const parsed = parse(config, secrets);
      return backupPostgresTo(parsed.config, parsed.secrets, sink, options, tools);
    },

    backupObjects(config, secrets, options) {
      const parsed = parse(config, secrets);
      return backupPostgresObjects(parsed.config, parsed.secrets, options, tools);
    },

    restoreObjects(config, target, objects) {
      const parsedConfig = parseEngineInput(PostgresConfig, config, 'postgres config');
      const parsedTarget = parseEngineInput(PostgresRestoreTarget, target, 'postgres restore target');
      return choosePostgresObjects(parsedConfig, parsedTarget, objects);
    },

    async restore(config, secrets, input, target, options) {
      let parsed;
      let parsedTarget;
      try {
        parsed = parse(config, secrets);
        parsedTarget = parseEngineInput(PostgresRestoreTarget, target, 'postgres restore target');
      } catch (err) {
        input.destroy();
        throw err;
      }
      return restorePostgres(parsed.config, parsed.secrets, input, parsedTarget, options, tools);
    },

    async restoreFrom(config, secrets, target, source, options) {
      const parsed = parse(config, secrets);
      const parsedTarget = parseEngineInput(PostgresRestoreTarget, target, 'postgres restore target');
      return restorePostgresFrom(parsed.config, parsed.secrets, parsedTarget, source, options, tools);
    },

    async verify(input, options) {
      return verifyPostgres(input, options, tools);
    },
  };
}

/** The engine with client tools from PATH. */
export const postgresEngine = createPostgresEngine();
