/**
 * The generic engine checks (../conformance.ts) against PostgreSQL: the real server named by DATABASE_URL and the
 * client tools on PATH, through the registry as the workers use it. Twice: a classic single-database source (one
 * `data` object), and a multi-object source (`databases: [a, b]`, `globals: true`: objects `globals`, `db.a`, `db.b`)
 * whose restores take `from: a` into a new database and must give back exactly a's tables; then a table list
 * (`tables: [customers]`) and `schemaOnly`, whose restores must hold exactly what those options select.
 */
import pg from 'pg';
import { expect } from 'vitest';

import { connectionParts, createDatabase, dropDatabase, SAMPLE_SCHEMA_SQL, serverUrl, tableHashes, uniqueName, withClient } from '@/server/testing/pg';
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

const multiA = uniqueName('lbt_conf_ma');
const multiB = uniqueName('lbt_conf_mb');
const multiRole = uniqueName('lbt_conf_role');

// a: the sample schema plus a table owned by the source's own role (its archive names the role); b: other tables.
const MULTI_A_SQL = `${SAMPLE_SCHEMA_SQL}
  CREATE TABLE ledger (id int PRIMARY KEY, note text);
  INSERT INTO ledger SELECT g, 'entry ' || g FROM generate_series(1, 250) g;
  ALTER TABLE ledger OWNER TO ${multiRole};
`;
const MULTI_B_SQL = `
  CREATE TABLE inventory (sku text PRIMARY KEY, qty int NOT NULL);
  INSERT INTO inventory SELECT 'sku-' || g, g % 17 FROM generate_series(1, 1200) g;
`;

describeEngineConformance('postgres (databases: [a, b], globals)', getEngine(postgresDefinition.kind), async () => {
  await withClient('postgres', (c) => c.query(`CREATE ROLE ${multiRole} NOLOGIN`));
  await createDatabase(multiA, MULTI_A_SQL);
  await createDatabase(multiB, MULTI_B_SQL);
  const pgc = connectionParts();
  const config = { host: pgc.host, port: pgc.port, database: multiA, user: pgc.user, databases: [multiA, multiB], globals: true };
  return {
    createSource: async () => ({ config, secrets: pgc.password ? { password: pgc.password } : {} }),
    newTarget: () => ({ database: uniqueName('lbt_conf_mrestored'), from: multiA }),
    existingTarget: () => ({ database: multiB, from: multiA }),
    readSource: () => tableHashes(multiA),
    readTarget: (target) => tableHashes(databaseOf(target)),
    targetExists: (target) => databaseExists(databaseOf(target)),
    dropTarget: async (target) => {
      // Never a source database: existingTarget() points at b and cleanup() drops both last.
      if (databaseOf(target) !== multiA && databaseOf(target) !== multiB) await dropDatabase(databaseOf(target));
    },
    badConfigs: [
      { ...config, databases: [multiA, multiA] },
      { ...config, databases: [] },
      { ...config, globals: 'yes' },
      { ...config, unknownKey: 1 },
    ],
    checkPoint: (objects) => {
      expect(objects.map((o) => [o.role, o.extension, o.details.database])).toEqual([
        ['globals', 'sql', undefined],
        [`db.${multiA}`, 'pgdump', multiA],
        [`db.${multiB}`, 'pgdump', multiB],
      ]);
      expect(objects[0]!.bytes.toString('utf8')).toMatch(new RegExp(`^CREATE ROLE ${multiRole};$`, 'm'));
    },
    cleanup: async () => {
      await dropDatabase(multiA);
      await dropDatabase(multiB);
      await withClient('postgres', (c) => c.query(`DROP ROLE IF EXISTS ${multiRole}`));
    },
  };
});

// The seeds' other logical dumps, through the same checks: a table list (the "critical tables" dump) and schema-only.
// The restore must hold exactly what the source's options select: only `customers`, or every table with no rows.
const EMPTY_TABLE = `0:${'d41d8cd98f00b204e9800998ecf8427e'}`; // count 0, md5 of the empty aggregate (tableHashes)

function variant(label: string, options: Record<string, unknown>, expected: (hashes: Record<string, string>) => Record<string, string>) {
  const db = uniqueName('lbt_conf_var');
  describeEngineConformance(`postgres (${label})`, getEngine(postgresDefinition.kind), async () => {
    await createDatabase(db, SAMPLE_SCHEMA_SQL);
    const pgc = connectionParts();
    const config = { host: pgc.host, port: pgc.port, database: db, user: pgc.user, ...options };
    return {
      createSource: async () => ({ config, secrets: pgc.password ? { password: pgc.password } : {} }),
      newTarget: () => ({ database: uniqueName('lbt_conf_vrestored') }),
      existingTarget: () => ({ database: db }),
      readSource: async () => expected(await tableHashes(db)),
      readTarget: (target) => tableHashes(databaseOf(target)),
      targetExists: (target) => databaseExists(databaseOf(target)),
      dropTarget: async (target) => {
        if (databaseOf(target) !== db) await dropDatabase(databaseOf(target));
      },
      badConfigs: [{ ...config, unknownKey: 1 }],
      cleanup: () => dropDatabase(db),
    };
  });
}

variant('tables: [customers]', { tables: ['customers'] }, (h) => ({ customers: h.customers! }));
variant('schemaOnly', { schemaOnly: true }, (h) => Object.fromEntries(Object.keys(h).map((t) => [t, EMPTY_TABLE])));
