/**
 * The generic engine checks (../conformance.ts) against PostgreSQL: the real server named by DATABASE_URL and the
 * client tools on PATH, through the registry as the workers use it.
 */
import pg from 'pg';

import { connectionParts, createDatabase, dropDatabase, SAMPLE_SCHEMA_SQL, serverUrl, tableHashes, uniqueName } from '@/server/testing/pg';
import { describeEngineConformance } from '../conformance';
import { getEngine } from '../registry';
import { postgresDefinition } from './definition';

const sourceDb = uniqueName('lbt_conf_src');

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: serverUrl('postgres') });
  await client.connect();
  try {
    return (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

const databaseOf = (target: unknown) => (target as { database: string }).database;

describeEngineConformance('postgres', getEngine(postgresDefinition.kind), async () => {
  await createDatabase(sourceDb, SAMPLE_SCHEMA_SQL);
  const pgc = connectionParts();
  const config = { host: pgc.host, port: pgc.port, database: sourceDb, user: pgc.user };
  return {
    createSource: async () => ({ config, secrets: pgc.password ? { password: pgc.password } : {} }),
    newTarget: () => ({ database: uniqueName('lbt_conf_restored') }),
    existingTarget: () => ({ database: sourceDb }),
    readSource: () => tableHashes(sourceDb),
    readTarget: (target) => tableHashes(databaseOf(target)),
    targetExists: (target) => databaseExists(databaseOf(target)),
    dropTarget: async (target) => {
      // Never the source: existingTarget() points at it and cleanup() drops it last.
      if (databaseOf(target) !== sourceDb) await dropDatabase(databaseOf(target));
    },
    badConfigs: [{}, { ...config, host: '' }, { ...config, port: 'abc' }, { ...config, unknownKey: 1 }, 'not an object'],
    cleanup: () => dropDatabase(sourceDb),
  };
});
