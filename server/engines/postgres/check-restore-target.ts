import { EngineError, type EngineRestoreCheckOptions } from '../engine';
import { classifyClientError } from './classify-error';
import { describeServer, pgErrorMessage, withClient } from './client';
import { PostgresRestoreMode, type PostgresConfig, type PostgresRestoreTarget, type PostgresSecrets } from './config';

/**
 * The restore request's early check: connects with the source's own settings and credentials (as the probe and
 * the worker's restore do) and looks the target database up in `pg_database`. Mode `new` (the default) refuses one
 * that already exists (`TARGET_EXISTS`); the worker's CREATE DATABASE still refuses one created in between, this only
 * makes the common mistake fail at once instead of minutes later. Mode `in-place` refuses one that does NOT exist
 * (`INVALID_CONFIG`): it replaces a database, it never creates one; the worker checks again before it starts.
 */
export async function checkPostgresRestoreTarget(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  target: PostgresRestoreTarget,
  options: EngineRestoreCheckOptions = {},
): Promise<void> {
  const mode = parseRestoreMode(options.mode);
  if (target.tables !== undefined && mode === 'in-place') {
    throw new EngineError('INVALID_CONFIG', 'tables can only be restored into a new database: an in-place restore replaces the whole database');
  }
  const exists = await databaseExists(config, secrets, target.database, options.signal);
  if (mode === 'in-place') {
    if (!exists) throw missingTarget(config, target.database);
    return;
  }
  if (exists) {
    throw new EngineError('TARGET_EXISTS', `database "${target.database}" already exists on ${describeServer(config)}; restore into a new name`);
  }
}

/** The restore mode of an options object: absent means `new` (the first, non-destructive one); unknown ones are refused. */
export function parseRestoreMode(mode: string | undefined): PostgresRestoreMode {
  const parsed = PostgresRestoreMode.safeParse(mode ?? 'new');
  if (!parsed.success) {
    throw new EngineError('INVALID_CONFIG', `postgres restore mode must be one of ${PostgresRestoreMode.options.join(', ')}`);
  }
  return parsed.data;
}

/** Whether `database` exists on the source's server (asked through the source's own database, as everything else). */
export async function databaseExists(config: PostgresConfig, secrets: PostgresSecrets, database: string, signal?: AbortSignal): Promise<boolean> {
  return withClient(
    config,
    secrets,
    config.database,
    async (client) => {
      try {
        const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
        return rowCount === 1;
      } catch (err) {
        throw new EngineError(classifyClientError(err) ?? 'CONNECTION_FAILED', `could not list the databases on ${describeServer(config)}: ${pgErrorMessage(err)}`, { cause: err });
      }
    },
    signal,
  );
}

/** An in-place restore aimed at a database that is not there. */
export function missingTarget(config: PostgresConfig, database: string): EngineError {
  return new EngineError(
    'INVALID_CONFIG',
    `database "${database}" does not exist on ${describeServer(config)}; an in-place restore replaces an existing database and never creates one (restore into a new database instead)`,
  );
}
