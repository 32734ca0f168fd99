/**
 * One local-disk backup of the realistic bench database with a timeline (ms since produceArtifact was called):
 * when each child process (pg_dump, its `--version` probe, zstd, age) was first and last seen in /proc, and each
 * step of the driver's commit (hash, fsync, link). Then the same shell pipeline as `npm run bench`, stage by stage.
 * A diagnostic, not a benchmark: the /proc poll costs CPU of its own.
 *
 *   node scripts/services.mjs run -- tsx bench/backup-timeline.ts
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateIdentity } from '@/server/artifacts/keys';
import { postgresEngine } from '@/server/engines/postgres';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { produceArtifact } from '@/workers/backup/produce-artifact';
import { ensureRealisticDatabase, type PgConn } from './realistic-data';

// Places a process's start and end within 20 ms; polled more often, the poll itself slowed the tools on 2 cores.
const POLL_MS = 20;
// The bench's default size, so the timeline is of the same data as `npm run bench`.
const RAW_MB = 1024;

const url = new URL(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
const conn: PgConn = { host: url.hostname, port: Number(url.port || 5432), user: decodeURIComponent(url.username || 'postgres') };
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-timeline-'));
const t0 = process.hrtime.bigint();
let origin = t0;
const now = () => Number(process.hrtime.bigint() - origin) / 1e6;
const marks: [number, string][] = [];
const mark = (what: string) => marks.push([now(), what]);

/** Descendants of this process, by pid → name (argv joined), via /proc/<pid>/task/<tid>/children. */
function descendants(): Map<number, string> {
  const found = new Map<number, string>();
  const walk = (pid: number) => {
    let tids: string[];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      let children = '';
      try {
        children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of children.split(' ').filter(Boolean).map(Number)) {
        try {
          found.set(c, fs.readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(0, 2).join(' '));
        } catch {
          found.set(c, '?');
        }
        walk(c);
      }
    }
  };
  walk(process.pid);
  return found;
}

function watchProcesses() {
  const seen = new Map<number, { name: string; first: number; last: number; cpu: number }>();
  // utime + stime from /proc/<pid>/stat, in clock ticks (100 a second on Linux), as last seen alive.
  const cpuOf = (pid: number) => {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return undefined;
    }
  };
  const timer = setInterval(() => {
    const t = now();
    for (const [pid, name] of descendants()) {
      const entry = seen.get(pid);
      const cpu = cpuOf(pid);
      if (entry === undefined) seen.set(pid, { name, first: t, last: t, cpu: cpu ?? 0 });
      else {
        entry.last = t;
        if (cpu !== undefined) entry.cpu = cpu;
        // setpriv execs the tool: keep the name it ended as.
        if (name !== '?' && name !== '') entry.name = name;
      }
    }
  }, POLL_MS);
  return {
    stop() {
      clearInterval(timer);
      for (const { name, first, last, cpu } of seen.values()) {
        marks.push([first, `${name}: first seen`], [last, `${name}: last seen (CPU ${cpu.toFixed(2)} s so far)`]);
      }
    },
  };
}

const database = await ensureRealisticDatabase(conn, RAW_MB);
const keys = await generateIdentity();
const driver = createLocalDiskDriver({ root: path.join(work, 'store'), trace: (step) => mark(`driver: ${step}`) });
const watcher = watchProcesses();
origin = process.hrtime.bigint();
mark('produceArtifact called');
const cpu0 = process.cpuUsage();
const produced = await produceArtifact({
  engine: postgresEngine,
  config: { ...conn, database },
  secrets: {},
  driver,
  key: 'timeline/data.pgdump.zst.age',
  compressionLevel: 3,
  recipients: [keys.recipient],
  onProgress: () => undefined,
});
mark('produceArtifact returned');
const cpu = process.cpuUsage(cpu0);
watcher.stop();
marks.sort((a, b) => a[0] - b[0]);
console.log(`lifeboat: ${(produced.rawBytes ?? 0) / 2 ** 20} MiB raw, ${produced.stored.size / 2 ** 20} MiB stored; node CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`);
for (const [t, what] of marks) console.log(`${t.toFixed(1).padStart(9)} ms  ${what}`);

// The shell's side, each stage's own `time` (bash's TIMEFORMAT: real user sys), into a file like the bench's.
const dbUrl = `postgresql://${encodeURIComponent(conn.user)}@${conn.host}:${conn.port}/${database}`;
const out = path.join(work, 'baseline.age');
const script = `TIMEFORMAT="%R %U %S"; S=$(date +%s%N);
{ time pg_dump -Fc -Z0 --dbname="$U"; } 2>"$W/t.pg_dump" | { time zstd -3 -T0 -q; } 2>"$W/t.zstd" | { time age -r "$R"; } 2>"$W/t.age" > "$O"
E=$(date +%s%N); echo "pipeline $(( (E-S)/1000000 )) ms"
{ time sync "$O"; } 2>&1 | sed 's/^/sync of the file (real user sys): /'`;
const shell = spawnSync('bash', ['-o', 'pipefail', '-c', script], { env: { ...process.env, U: dbUrl, R: keys.recipient, W: work, O: out }, encoding: 'utf8' });
console.log(`shell: ${shell.stdout.trim()}`);
for (const stage of ['pg_dump', 'zstd', 'age']) console.log(`  ${stage} (real user sys): ${fs.readFileSync(path.join(work, `t.${stage}`), 'utf8').trim()}`);
fs.rmSync(work, { recursive: true, force: true });
console.log(`(since script start ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s)`);
