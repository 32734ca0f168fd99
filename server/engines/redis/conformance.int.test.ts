/**
 * The generic engine checks (../conformance.ts) against Redis: a `redis-server` this test starts on a free port with a
 * password, several thousand keys of every type (string, hash, list, set, sorted set, stream, HyperLogLog) with TTLs
 * in two databases. A restore lands in a scratch instance (the target names its port); the comparison is every key's
 * DUMP and its TTL within a second.
 */
import { describeEngineConformance } from '../conformance';
import { redisEngine } from './index';
import { freePort, portInUse, scratchInstances, stopScratch } from './scratch';
import { fillDatabase, readDatabase, snapTtls, startTestRedis, type KeyState, type TestRedis } from './testing';
import { connectRedis } from './client';

const DATABASES = [0, 3];
const PER_TYPE = 400; // × 7 types × 2 databases = 5600 keys

let server: TestRedis;
const ports: number[] = [];
const portOf = (target: unknown) => (target as { port: number }).port;

async function readAll(port: number, password: string): Promise<Map<number, Map<string, KeyState>>> {
  const out = new Map<number, Map<string, KeyState>>();
  for (const db of DATABASES) {
    const c = await connectRedis({ host: '127.0.0.1', port, password, db });
    try {
      out.set(db, await readDatabase(c));
    } finally {
      c.disconnect();
    }
  }
  return out;
}

describeEngineConformance('redis', redisEngine, async () => {
  server = await startTestRedis();
  for (const db of DATABASES) await fillDatabase(server.client(db), PER_TYPE, `db${db}`);
  // Ports for the scratch targets; newTarget() must answer synchronously.
  for (let i = 0; i < 12; i += 1) ports.push(await freePort());
  let next = 0;
  const config = { host: '127.0.0.1', port: server.port };
  const readSource = async () => {
    const all = await readAll(server.port, server.password);
    return Object.fromEntries([...all].map(([db, keys]) => [db, Object.fromEntries(keys)]));
  };
  return {
    createSource: async () => ({ config, secrets: { password: server.password } }),
    newTarget: () => ({ mode: 'scratch', port: ports[next++ % ports.length] }),
    // The source's own port: something listens there already.
    existingTarget: () => ({ mode: 'scratch', port: server.port }),
    readSource,
    readTarget: async (target) => {
      const instance = scratchInstances().find((i) => i.port === portOf(target));
      if (instance === undefined) return 'no scratch instance on that port';
      const [source, restored] = await Promise.all([readAll(server.port, server.password), readAll(instance.port, instance.password)]);
      return Object.fromEntries(DATABASES.map((db) => [db, snapTtls(source.get(db)!, restored.get(db)!)]));
    },
    targetExists: (target) => portInUse(portOf(target)),
    dropTarget: async (target) => {
      if (portOf(target) !== server.port) await stopScratch(portOf(target));
    },
    badConfigs: [{}, { ...config, host: '' }, { ...config, port: 'abc' }, { ...config, unknownKey: 1 }, { ...config, host: '-h' }, 'not an object'],
    cleanup: () => server.stop(),
  };
});
