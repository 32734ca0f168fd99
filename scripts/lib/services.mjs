// Private PostgreSQL + Redis for `npm run up` and `npm test`, and the environment the app reads.
//
// Plain Node on purpose (no npm dependencies): scripts/up.sh calls this before node_modules exists.
//
// If DATABASE_URL / REDIS_URL are set, they are used as they are (only checked for reachability).
// Otherwise this module starts private instances whose state lives under .data/ and that listen on
// 127.0.0.1 only, on ports chosen to stay clear of a system PostgreSQL (5432) and Redis (6379):
//
//   PostgreSQL  127.0.0.1:55432 (or the next free port)  data .data/pg      superuser `postgres`, trust auth, log .data/pg/server.log
//   Redis       127.0.0.1:56379 (or the next free port)  data .data/redis   pidfile + log in the same folder, no password
//
// LIFEBOAT_PG_PORT / LIFEBOAT_REDIS_PORT override the ports. A running private instance is reused;
// a stale postmaster.pid / redis.pid left by a crash is removed before starting.
//
// initdb and postgres refuse to run as root, so as root they run as the `postgres` OS user
// (`runuser -u postgres --`) and .data/pg is owned by that user. If postgres cannot reach .data
// (a project under a 0700 home such as /root), the cluster lives in /var/lib/postgresql/lifeboat-<hash>
// instead and .data/pg is a symlink to it.

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DATA_DIR = path.join(ROOT, '.data');

export class ServiceError extends Error {}

const HOST = '127.0.0.1';

// High, unassigned ports so a system PostgreSQL/Redis (5432/6379) never collide. A second checkout on the same
// machine (a CI clone next to a developer's tree) finds them taken and takes the next free ones; each checkout
// remembers its choice in .data/ports.json so it finds its own instances again.
const PORTS_FILE = path.join(DATA_DIR, 'ports.json');
// Up to 100 neighbours are tried: plenty for the checkouts one machine holds.
const PORT_SEARCH_SPAN = 100;
const savedPorts = readSavedPorts();
export let PG_PORT = Number(process.env.LIFEBOAT_PG_PORT || savedPorts.pg || (await firstFreePort(55432)));
export let REDIS_PORT = Number(process.env.LIFEBOAT_REDIS_PORT || savedPorts.redis || (await firstFreePort(56379)));

function readSavedPorts() {
  let saved = {};
  try {
    const parsed = JSON.parse(fs.readFileSync(PORTS_FILE, 'utf8'));
    saved = { pg: Number(parsed.pg) || undefined, redis: Number(parsed.redis) || undefined };
  } catch {
    /* first run */
  }
  // An existing cluster's own configuration is the truth for its port.
  try {
    const conf = fs.readFileSync(path.join(DATA_DIR, 'pg', 'postgresql.conf'), 'utf8');
    const ports = [...conf.matchAll(/^port = (\d+)/gm)];
    if (ports.length > 0) saved.pg = Number(ports[ports.length - 1][1]);
  } catch {
    /* no cluster yet, or not readable */
  }
  return saved;
}

function savePorts(ports) {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  fs.writeFileSync(PORTS_FILE, JSON.stringify({ ...readSavedPorts(), ...ports }, null, 2) + '\n');
}

async function firstFreePort(start) {
  for (let port = start; port < start + PORT_SEARCH_SPAN; port++) {
    if (!(await portOpen(port))) return port;
  }
  throw new ServiceError(`no free port in ${start}-${start + PORT_SEARCH_SPAN - 1}; set LIFEBOAT_PG_PORT / LIFEBOAT_REDIS_PORT`);
}
const APP_DB = 'lifeboat';
const TEST_DB = 'lifeboat_test';
const PG_SUPERUSER = 'postgres';
// Starting a fresh cluster on a slow disk can take a while; past a minute something is wrong.
const PG_START_TIMEOUT_S = 60;
// Redis starts in milliseconds; 10 s leaves room for loading a large dump.rdb.
const REDIS_START_TIMEOUT_MS = 10_000;


const log = (msg) => process.stderr.write(`[services] ${msg}\n`);
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Make sure PostgreSQL and Redis are reachable and return the environment the app, worker and tests need.
 * @param {{ purpose?: 'app' | 'test', env?: NodeJS.ProcessEnv }} [options]
 * @returns {Promise<Record<string, string>>}
 */
export async function ensureServices({ purpose = 'app', env = process.env } = {}) {
  if (purpose !== 'app' && purpose !== 'test') throw new ServiceError(`unknown purpose "${purpose}"`);
  fs.mkdirSync(DATA_DIR, { recursive: true });

  let databaseUrl = env.DATABASE_URL;
  if (databaseUrl) {
    await assertReachable('DATABASE_URL', databaseUrl, 5432);
  } else {
    await ensurePostgres();
    savePorts({ pg: PG_PORT });
    databaseUrl = `postgresql://${PG_SUPERUSER}@${HOST}:${PG_PORT}/${APP_DB}`;
  }

  let redisUrl = env.REDIS_URL;
  if (redisUrl) {
    await assertReachable('REDIS_URL', redisUrl, 6379);
  } else {
    await ensureRedis();
    savePorts({ redis: REDIS_PORT });
    redisUrl = `redis://${HOST}:${REDIS_PORT}`;
  }

  const test = purpose === 'test';
  // The e2e suite (playwright.config.ts) always serves the test build on 3100.
  const port = test ? '3100' : env.PORT || '3000';
  const dataDir = test ? path.join(DATA_DIR, 'test') : env.LIFEBOAT_DATA_DIR || DATA_DIR;
  fs.mkdirSync(dataDir, { recursive: true });

  /** @type {Record<string, string>} */
  const out = {
    DATABASE_URL: test ? withDatabase(databaseUrl, TEST_DB) : databaseUrl,
    REDIS_URL: redisUrl,
    LIFEBOAT_DATA_DIR: path.resolve(dataDir),
    LIFEBOAT_QUEUE_PREFIX: test ? 'lifeboat-test' : env.LIFEBOAT_QUEUE_PREFIX || 'lifeboat',
    NEXTAUTH_SECRET: env.NEXTAUTH_SECRET || nextAuthSecret(),
    NEXTAUTH_URL: test ? `http://${HOST}:${port}` : env.NEXTAUTH_URL || `http://${HOST}:${port}`,
    NEXT_TELEMETRY_DISABLED: '1',
  };
  if (env.LIFEBOAT_MASTER_KEY) out.LIFEBOAT_MASTER_KEY = env.LIFEBOAT_MASTER_KEY;
  return out;
}

/** Stop the private instances (no-op for those not running). Never touches DATABASE_URL / REDIS_URL servers. */
export async function stopServices() {
  const link = path.join(DATA_DIR, 'pg');
  const pgDir = fs.existsSync(link) ? fs.realpathSync(link) : link;
  if (fs.existsSync(path.join(pgDir, 'PG_VERSION')) && pgRunning(pgDir)) {
    const r = asPostgresOwner([pgBin('pg_ctl'), '-D', pgDir, '-m', 'fast', '-w', 'stop']);
    if (r.status !== 0) throw new ServiceError(`pg_ctl stop failed:\n${output(r)}`);
    log(`PostgreSQL on ${HOST}:${PG_PORT} stopped`);
  } else {
    log('PostgreSQL: private instance not running');
  }

  const pid = readPid(path.join(DATA_DIR, 'redis', 'redis.pid'));
  if (pid && alive(pid, 'redis')) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && alive(pid); i++) await sleep(100);
    if (alive(pid)) throw new ServiceError(`redis-server (pid ${pid}) did not exit after SIGTERM`);
    log(`Redis on ${HOST}:${REDIS_PORT} stopped`);
  } else {
    log('Redis: private instance not running');
  }
}

/**
 * Give the test run a clean slate: drop and recreate nothing but the test database (migrations recreate it),
 * delete the test queue prefix's keys, and empty LIFEBOAT_DATA_DIR. Refuses anything that is not test state.
 * @param {Record<string, string>} env the result of ensureServices({ purpose: 'test' })
 */
export function resetTestState(env) {
  const db = databaseName(env.DATABASE_URL);
  if (db !== TEST_DB) throw new ServiceError(`refusing to reset database "${db}" (only ${TEST_DB})`);
  if (env.LIFEBOAT_QUEUE_PREFIX !== 'lifeboat-test') throw new ServiceError('refusing to reset a non-test queue prefix');
  if (env.LIFEBOAT_DATA_DIR !== path.join(DATA_DIR, 'test')) throw new ServiceError('refusing to empty a non-test data dir');

  const psql = run('psql', [
    withDatabase(env.DATABASE_URL, 'postgres'),
    '-v', 'ON_ERROR_STOP=1', '-qXc', `DROP DATABASE IF EXISTS "${TEST_DB}" WITH (FORCE)`,
  ]);
  if (psql.status !== 0) throw new ServiceError(`could not drop ${TEST_DB}:\n${output(psql)}`);

  // One server-side script: SCAN + DEL without a round trip per key.
  const lua = "local n=0 local c='0' repeat local r=redis.call('SCAN',c,'MATCH',ARGV[1],'COUNT',1000) c=r[1] " +
    "for _,k in ipairs(r[2]) do redis.call('DEL',k) n=n+1 end until c=='0' return n";
  const redis = run('redis-cli', ['-u', env.REDIS_URL, 'EVAL', lua, '0', 'lifeboat-test:*']);
  if (redis.status !== 0 || /^\(error\)|ERR/m.test(redis.stdout)) {
    throw new ServiceError(`could not clear lifeboat-test:* keys:\n${output(redis)}`);
  }

  fs.rmSync(env.LIFEBOAT_DATA_DIR, { recursive: true, force: true });
  fs.mkdirSync(env.LIFEBOAT_DATA_DIR, { recursive: true });
  log(`test state reset (database ${TEST_DB} dropped, ${redis.stdout.trim() || 0} redis keys deleted, ${path.relative(ROOT, env.LIFEBOAT_DATA_DIR)} emptied)`);
}

/** Render an env object as `export KEY='value'` lines for `eval`. */
export function toShellExports(env) {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}='${String(v).replaceAll("'", `'\\''`)}'`)
    .join('\n');
}

// ---------------------------------------------------------------- PostgreSQL

async function ensurePostgres() {
  const pgDir = resolvePgDir();
  if (!fs.existsSync(path.join(pgDir, 'PG_VERSION'))) initCluster(pgDir);

  if (pgRunning(pgDir)) {
    if (!pgReady()) await waitFor(() => pgReady(), PG_START_TIMEOUT_S * 1000, 'PostgreSQL to accept connections');
    log(`PostgreSQL: reusing private instance on ${HOST}:${PG_PORT}`);
  } else {
    if ((await portOpen(PG_PORT)) && !process.env.LIFEBOAT_PG_PORT) {
      // Our cluster is down and someone else took its port meanwhile: move to a free one (last `port =` wins).
      const taken = PG_PORT;
      PG_PORT = await firstFreePort(taken + 1);
      log(`PostgreSQL: port ${taken} is taken by another process; moving this checkout's instance to ${PG_PORT}`);
      fs.appendFileSync(path.join(pgDir, 'postgresql.conf'), `port = ${PG_PORT}\n`);
    }
    if (await portOpen(PG_PORT)) {
      throw new ServiceError(
        `port ${PG_PORT} is taken by a process that is not this checkout's PostgreSQL (.data/pg). ` +
          'Stop it, set LIFEBOAT_PG_PORT to a free port, or point DATABASE_URL at an existing server.',
      );
    }
    removeStalePid(path.join(pgDir, 'postmaster.pid'), 'postgres');
    // postgres also refuses a socket lock naming a pid that still exists, even as an unreaped zombie.
    removeStalePid(path.join(pgDir, `.s.PGSQL.${PG_PORT}.lock`), 'postgres');
    const logFile = path.join(pgDir, 'server.log');
    log(`PostgreSQL: starting private instance on ${HOST}:${PG_PORT} (log ${logFile})`);
    const r = asPostgresOwner([pgBin('pg_ctl'), '-D', pgDir, '-l', logFile, '-w', '-t', String(PG_START_TIMEOUT_S), 'start']);
    if (r.status !== 0) {
      throw new ServiceError(`pg_ctl start failed:\n${output(r)}\n--- last lines of ${logFile} ---\n${tail(logFile)}`);
    }
  }
  ensureDatabase(APP_DB);
  ensureDatabase(TEST_DB);
}

/** .data/pg, or a directory the postgres user can reach when running as root under a 0700 home. */
function resolvePgDir() {
  const link = path.join(DATA_DIR, 'pg');
  if (!isRoot()) return link;
  if (fs.existsSync(link) && fs.lstatSync(link).isSymbolicLink()) return fs.realpathSync(link);
  if (postgresCanReach(DATA_DIR)) return link;
  if (fs.existsSync(link)) {
    throw new ServiceError(`${link} exists but the postgres user cannot reach it; make ${DATA_DIR} and its parents traversable (chmod o+x)`);
  }
  const hash = createHash('sha256').update(ROOT).digest('hex').slice(0, 8);
  const outside = `/var/lib/postgresql/lifeboat-${hash}`;
  log(`the postgres user cannot reach ${DATA_DIR}; keeping the cluster in ${outside} (linked from .data/pg)`);
  fs.mkdirSync(outside, { recursive: true, mode: 0o700 });
  fs.symlinkSync(outside, link);
  return outside;
}

function initCluster(pgDir) {
  fs.mkdirSync(pgDir, { recursive: true, mode: 0o700 });
  if (fs.readdirSync(pgDir).length > 0) {
    throw new ServiceError(`${pgDir} is not empty but holds no cluster (no PG_VERSION); move it away and retry`);
  }
  if (isRoot()) {
    chownToPostgres(pgDir);
    if (!postgresCanReach(pgDir)) {
      throw new ServiceError(`the postgres user cannot reach ${pgDir}; make its parent directories traversable (chmod o+x)`);
    }
  }
  log(`PostgreSQL: creating a cluster in ${pgDir}`);
  const r = asPostgresOwner([
    pgBin('initdb'), '-D', pgDir, '-U', PG_SUPERUSER, '--auth-local=trust', '--auth-host=trust',
    '--encoding=UTF8', '--locale=C.UTF-8', '--no-instructions',
  ]);
  if (r.status !== 0) throw new ServiceError(`initdb failed:\n${output(r)}`);

  // Appending/overwriting as root keeps the postgres ownership of the files initdb created.
  // A unix socket path is limited to ~107 bytes; deep checkouts fall back to TCP only.
  const socketDir = `${pgDir}/.s.PGSQL.${PG_PORT}`.length < 100 ? pgDir : '';
  fs.appendFileSync(
    path.join(pgDir, 'postgresql.conf'),
    [
      '',
      '# Lifeboat private instance (scripts/lib/services.mjs)',
      `listen_addresses = '${HOST}'`,
      `port = ${PG_PORT}`,
      `unix_socket_directories = '${socketDir}'`,
      // Integration tests and the worker open several pools at once; the default 100 is tight but enough.
      'max_connections = 200',
      "log_min_messages = 'warning'",
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(pgDir, 'pg_hba.conf'),
    [
      '# Lifeboat private instance: trust, but reachable only from this machine (listen_addresses = 127.0.0.1).',
      'local all all trust',
      'host  all all 127.0.0.1/32 trust',
      '',
    ].join('\n'),
  );
}

function ensureDatabase(name) {
  const base = ['-h', HOST, '-p', String(PG_PORT), '-U', PG_SUPERUSER, '-d', 'postgres', '-qXtA'];
  const exists = run('psql', [...base, '-c', `SELECT 1 FROM pg_database WHERE datname = '${name}'`]);
  if (exists.status !== 0) throw new ServiceError(`psql could not connect to ${HOST}:${PG_PORT}:\n${output(exists)}`);
  if (exists.stdout.trim() === '1') return;
  const created = run('psql', [...base, '-c', `CREATE DATABASE "${name}"`]);
  if (created.status !== 0 && !/already exists/.test(created.stderr)) {
    throw new ServiceError(`could not create database ${name}:\n${output(created)}`);
  }
}

/** Our postmaster is running when its pid file names a live postgres process. */
function pgRunning(pgDir) {
  const pid = readPid(path.join(pgDir, 'postmaster.pid'));
  return pid !== null && alive(pid, 'postgres');
}

function pgReady() {
  const r = run(pgBin('pg_isready'), ['-q', '-h', HOST, '-p', String(PG_PORT)]);
  return r.status === 0;
}

/** Debian keeps server binaries in /usr/lib/postgresql/<version>/bin; prefer the newest, then PATH. */
function pgBin(name) {
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    const versions = fs
      .readdirSync(root)
      .filter((v) => fs.existsSync(path.join(root, v, 'bin', name)))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return path.join(root, versions[0], 'bin', name);
  }
  const found = which(name);
  if (found) return found;
  throw new ServiceError(`${name} not found; run: bash scripts/ensure-system.sh`);
}

function asPostgresOwner(argv) {
  if (!isRoot()) return run(argv[0], argv.slice(1));
  // cwd / so that postgres does not complain about an unreadable current directory.
  return run('runuser', ['-u', 'postgres', '--', ...argv], { cwd: '/' });
}

function chownToPostgres(dir) {
  const id = run('id', ['-u', 'postgres']);
  const gid = run('id', ['-g', 'postgres']);
  if (id.status !== 0) {
    throw new ServiceError('running as root needs the `postgres` OS user (created by the postgresql package); run: bash scripts/ensure-system.sh');
  }
  fs.chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  fs.chmodSync(dir, 0o700);
}

function postgresCanReach(dir) {
  return run('runuser', ['-u', 'postgres', '--', 'test', '-x', dir], { cwd: '/' }).status === 0;
}

// ---------------------------------------------------------------- Redis

async function ensureRedis() {
  const dir = path.join(DATA_DIR, 'redis');
  const pidFile = path.join(dir, 'redis.pid');
  const logFile = path.join(dir, 'redis.log');
  fs.mkdirSync(dir, { recursive: true });

  const pid = readPid(pidFile);
  if (pid && alive(pid, 'redis')) {
    await waitFor(() => redisPing(REDIS_PORT), REDIS_START_TIMEOUT_MS, 'Redis to answer PING');
    log(`Redis: reusing private instance on ${HOST}:${REDIS_PORT}`);
    return;
  }
  if ((await portOpen(REDIS_PORT)) && !process.env.LIFEBOAT_REDIS_PORT) {
    const taken = REDIS_PORT;
    REDIS_PORT = await firstFreePort(taken + 1);
    log(`Redis: port ${taken} is taken by another process; using ${REDIS_PORT} for this checkout`);
  }
  if (await portOpen(REDIS_PORT)) {
    throw new ServiceError(
      `port ${REDIS_PORT} is taken by a process that is not this checkout's Redis (.data/redis). ` +
        'Stop it, set LIFEBOAT_REDIS_PORT to a free port, or point REDIS_URL at an existing server.',
    );
  }
  removeStalePid(pidFile, 'redis');
  const server = which('redis-server');
  if (!server) throw new ServiceError('redis-server not found; run: bash scripts/ensure-system.sh');

  log(`Redis: starting private instance on ${HOST}:${REDIS_PORT} (log ${logFile})`);
  const r = run(server, [
    '--port', String(REDIS_PORT),
    '--bind', HOST,
    '--dir', dir,
    '--daemonize', 'yes',
    '--pidfile', pidFile,
    '--logfile', logFile,
    // BullMQ requires that Redis never evicts its keys.
    '--maxmemory-policy', 'noeviction',
    // Snapshot at most once a minute: queue state is transport; Postgres holds the truth.
    '--save', '60', '1',
    '--appendonly', 'no',
  ]);
  if (r.status !== 0) throw new ServiceError(`redis-server failed to start:\n${output(r)}\n${tail(logFile)}`);
  try {
    await waitFor(() => redisPing(REDIS_PORT), REDIS_START_TIMEOUT_MS, 'Redis to answer PING');
  } catch (err) {
    throw new ServiceError(`${err.message}\n--- last lines of ${logFile} ---\n${tail(logFile)}`);
  }
}

/** Resolves true when a Redis on 127.0.0.1:port answers +PONG to an inline PING. */
function redisPing(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    let buf = '';
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

// ---------------------------------------------------------------- helpers

/** Fail early with a readable message when an external URL points at nothing. */
async function assertReachable(name, url, defaultPort) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new ServiceError(`${name} is not a valid URL`);
  }
  const host = u.hostname.replace(/^\[|\]$/g, '') || 'localhost';
  const port = Number(u.port || defaultPort);
  if (!(await portOpen(port, host))) {
    throw new ServiceError(`${name} is set but nothing answers on ${host}:${port}; start that server or unset ${name} to use a private one`);
  }
}

function portOpen(port, host = HOST) {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.setTimeout(2000, () => {
      sock.destroy();
      resolve(false);
    });
    sock.on('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

/** Replace the database name (path) of a PostgreSQL URL, keeping credentials and query parameters. */
export function withDatabase(url, db) {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

function databaseName(url) {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

function nextAuthSecret() {
  const file = path.join(DATA_DIR, 'nextauth.secret');
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(32).toString('base64url');
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  log(`generated NEXTAUTH_SECRET in ${path.relative(ROOT, file)}`);
  return secret;
}

function readPid(file) {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').split('\n')[0], 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** True when pid is alive and, if given, its command name contains `name` (pids get reused after a crash). */
function alive(pid, name) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  try {
    // A killed daemon whose parent (init in a container) has not reaped it yet is a zombie: not alive.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    return !name || fs.readFileSync(`/proc/${pid}/comm`, 'utf8').includes(name);
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

function removeStalePid(file, name) {
  const pid = readPid(file);
  if (pid === null && !fs.existsSync(file)) return;
  if (pid !== null && alive(pid, name)) return;
  log(`removing stale ${path.basename(file)}${pid ? ` (pid ${pid} is gone)` : ''}`);
  fs.rmSync(file, { force: true });
}

function which(name) {
  for (const dir of (process.env.PATH || '').split(':')) {
    const p = path.join(dir || '.', name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return null;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) {
    if (r.error.code === 'ENOENT') throw new ServiceError(`${cmd} not found; run: bash scripts/ensure-system.sh`);
    throw r.error;
  }
  return r;
}

function output(r) {
  return `${r.stdout || ''}${r.stderr || ''}`.trim();
}

function tail(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(200);
  }
  throw new ServiceError(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
