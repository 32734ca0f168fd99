import { EngineError, type EngineProbeOptions } from '../engine';
import { classifyClientError } from './classify-error';
import { describeServer, pgErrorMessage, withClient } from './client';
import type { PostgresConfig, PostgresRestoreTarget, PostgresSecrets } from './config';

/**
 * The restore request's early check: connects with the source's own settings and credentials (as the probe and
 * the worker's restore do) and refuses a target database that already exists. The worker's CREATE DATABASE still
 * refuses one created in between; this only makes the common mistake fail at once instead of minutes later.
 */
export async function checkPostgresRestoreTarget(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  target: PostgresRestoreTarget,
  options: EngineProbeOptions = {},
): Promise<void> {
  const exists = await withClient(
    config,
    secrets,
    config.database,
    async (client) => {
      try {
        const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [target.database]);
        return rowCount === 1;
      } catch (err) {
        throw new EngineError(classifyClientError(err) ?? 'CONNECTION_FAILED', `could not list the databases on ${describeServer(config)}: ${pgErrorMessage(err)}`, { cause: err });
      }
    },
    options.signal,
  );
  if (exists) {
    throw new EngineError('TARGET_EXISTS', `database "${target.database}" already exists on ${describeServer(config)}; restore into a new name`);
  }
}
