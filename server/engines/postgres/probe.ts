import { EngineError, type EngineProbeOptions, type EngineProbeResult } from '../engine';
import type { PostgresToolOptions } from './run-tool';
import { readToolVersion } from './tool-version';
import { pgErrorMessage, withClient } from './client';
import type { PostgresConfig, PostgresSecrets } from './config';

/**
 * Connects with node-postgres and runs `select version()`. Then, if pg_dump is installed on this machine,
 * checks it is not older than the server: pg_dump refuses to dump a newer major version, and it is far
 * better to learn that when saving the source than at 3 a.m. during the first backup.
 */
export async function probePostgres(
  config: PostgresConfig,
  secrets: PostgresSecrets,
  options: EngineProbeOptions = {},
  tools: PostgresToolOptions = {},
): Promise<EngineProbeResult> {
  let server: { version: string; major: number; missing: string[] };
  try {
    server = await withClient(
      config,
      secrets,
      config.database,
      async (client) => {
        const { rows } = await client.query<{ version: string; num: string }>(
          "select version() as version, current_setting('server_version_num') as num",
        );
        const row = rows[0];
        if (row === undefined) throw new Error('select version() returned no row');
        // A listed database that is not there (or cannot be dumped) would fail every backup: say so now.
        const wanted = Array.isArray(config.databases) ? config.databases : [];
        const found = wanted.length === 0 ? [] : (await client.query<{ name: string }>('select datname as name from pg_catalog.pg_database where not datistemplate and datallowconn and datname = any($1)', [wanted])).rows.map((r) => r.name);
        // server_version_num is e.g. 150020 for 15.20 (and 90624 for 9.6.24, whose "major" we treat as 9).
        return { version: row.version, major: Math.floor(Number(row.num) / 10_000), missing: wanted.filter((name) => !found.includes(name)) };
      },
      options.signal,
    );
  } catch (err) {
    if (options.signal?.aborted) return { ok: false, message: 'probe cancelled' };
    return { ok: false, message: err instanceof EngineError ? err.message : `probe query failed: ${pgErrorMessage(err)}` };
  }

  if (server.missing.length > 0) {
    return { ok: false, version: server.version, message: `not on this server (or templates, or not accepting connections): ${server.missing.map((n) => `database "${n}"`).join(', ')}` };
  }

  const toolVersion = await readToolVersion('pg_dump', tools);
  if (toolVersion === undefined) {
    return { ok: true, version: server.version, message: 'connected; pg_dump is not installed on this machine, so backups must run on a worker that has it' };
  }
  const toolMajor = Number(/\(PostgreSQL\)\s+(\d+)/.exec(toolVersion)?.[1]);
  if (Number.isFinite(toolMajor) && toolMajor < server.major) {
    return {
      ok: false,
      version: server.version,
      message: `the server runs PostgreSQL ${server.major} but this machine has ${toolVersion}; pg_dump cannot dump a newer server, install the PostgreSQL ${server.major} client tools`,
    };
  }
  return { ok: true, version: server.version };
}
