/**
 * The capture command engine against real processes (programs every worker has: sh, printf, cat, cp, sleep): what
 * a command receives (argv literal, environment allow-listed, secrets only in the environment), how it fails (exit
 * code, timeout, nothing printed, not installed, cancelled) with readable messages that never show a secret, files
 * output, restores, and no scratch directory left behind. `/bin/sh -c` appears as the *program a user chose*, the way
 * a source could name it; Lifeboat itself never runs a shell.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { isEngineError, OBJECT_ROLE_PATTERN, type AnyEngine, type EngineBackupObject, type EngineErrorCode } from '../engine';
import { engineInfo } from '../engine-info';
import { getEngine } from '../registry';
import { commandEngine, CommandConfig, CommandSecrets, fileRoles } from './index';
import { restoredFileName } from './restore';
import { redact, REDACTED } from './run';

/** As the workers hold it: raw JSON in, parsed by the engine. */
const cmd: AnyEngine = commandEngine;

let work: string;
let scratchRoot: string;
const previousTmpdir = process.env.TMPDIR;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'lifeboat-command-test-'));
  // Every scratch directory the engine makes lands here (os.tmpdir() reads TMPDIR), so the tests can see it is gone.
  scratchRoot = await mkdtemp(path.join(tmpdir(), 'lifeboat-command-scratch-'));
  process.env.TMPDIR = scratchRoot;
});

afterAll(async () => {
  if (previousTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmpdir;
  await rm(work, { recursive: true, force: true });
  await rm(scratchRoot, { recursive: true, force: true });
});

afterEach(async () => {
  // However a test ended, the engine removed its {outputDir}/{inputDir}.
  for (let i = 0; i < 50 && (await readdir(scratchRoot)).length > 0; i += 1) await sleep(20);
  expect(await readdir(scratchRoot), 'scratch directories left behind').toEqual([]);
});

async function capture(config: unknown, secrets: unknown = {}, options = {}) {
  const { stream, done } = cmd.backup(config, secrets, options);
  const [bytes, result] = await Promise.all([buffer(stream), done]);
  return { bytes, result };
}

async function failure(promise: Promise<unknown>): Promise<{ code: EngineErrorCode | string; message: string }> {
  const err = await promise.then(
    () => new Error('resolved, expected a failure'),
    (e: unknown) => e,
  );
  return isEngineError(err) ? { code: err.code, message: err.message } : { code: 'not an EngineError', message: String(err) };
}

/** A stdout backup that must fail: the stream errors and `done` rejects with the same reason. */
function failedCapture(config: unknown, secrets: unknown = {}, options = {}) {
  const { stream, done } = cmd.backup(config, secrets, options);
  const streamed = buffer(stream).then(
    () => 'the stream ended cleanly',
    (err: unknown) => (isEngineError(err) ? err.code : String(err)),
  );
  return Promise.all([failure(done), streamed]).then(([f, s]) => {
    expect(s, 'the stream errors instead of ending').toBe(f.code);
    return f;
  });
}

async function files(config: unknown, secrets: unknown = {}) {
  const out: Array<{ role: string; details: Record<string, unknown>; bytes: Buffer }> = [];
  for await (const o of cmd.backupObjects!(config, secrets, {})) {
    const { stream, done } = o.backup();
    const [bytes] = await Promise.all([buffer(stream), done]);
    out.push({ role: o.role, details: o.details ?? {}, bytes });
  }
  return out;
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('config', () => {
  it('takes argv as an array, a JSON array string or one argument per line', () => {
    expect(CommandConfig.parse({ argv: ['kubectl', 'get', 'pods'] }).argv).toEqual(['kubectl', 'get', 'pods']);
    expect(CommandConfig.parse({ argv: '["kubectl","get","pods"]' }).argv).toEqual(['kubectl', 'get', 'pods']);
    expect(CommandConfig.parse({ argv: 'kubectl\nget\n\n--all-namespaces\n' }).argv).toEqual(['kubectl', 'get', '--all-namespaces']);
    expect(CommandConfig.parse({ argv: ['/usr/bin/printf', '%s', '; rm -rf /'] }).argv[2]).toBe('; rm -rf /');
  });

  it('says how to write a command typed as one line', () => {
    const result = CommandConfig.safeParse({ argv: 'kubectl get pods -A' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/holds spaces: give argv as a list.*\["kubectl","get","pods"\]/);
  });

  it('refuses a relative program, an empty argv, a bad variable name and misplaced placeholders', () => {
    for (const bad of [
      { argv: ['bin/kubectl'] },
      { argv: ['./kubectl'] },
      { argv: ['/usr/bin/../bin/kubectl'] },
      { argv: ['-rf'] },
      { argv: ['/opt/a=b/tool'] },
      { argv: [] },
      { argv: ['cat'], env: { '1X': 'y' } },
      { argv: ['cat'], env: 'not json' },
      { argv: ['cat', '{inputDir}'] },
      { argv: ['cat'], restoreArgv: ['cat', '{outputDir}'] },
      { argv: ['cat'], output: 'files', cwd: '/srv' },
      { argv: ['cat', '{outputDir}'], output: 'files', cwd: '/srv', restoreArgv: ['cat'] },
      { argv: ['cat'], timeoutSeconds: 86_401 },
      { argv: ['cat'], checkArgv: ['true'] },
    ]) {
      expect(CommandConfig.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('takes secretEnv as an object, a JSON object string or NAME=value lines, and never echoes a value it refuses', () => {
    expect(CommandSecrets.parse({ secretEnv: { VAULT_TOKEN: 's.abc' } }).secretEnv).toEqual({ VAULT_TOKEN: 's.abc' });
    expect(CommandSecrets.parse({ secretEnv: '{"VAULT_TOKEN":"s.abc"}' }).secretEnv).toEqual({ VAULT_TOKEN: 's.abc' });
    expect(CommandSecrets.parse({ secretEnv: 'A=1\nB=x=y\n' }).secretEnv).toEqual({ A: '1', B: 'x=y' });
    const refused = CommandSecrets.safeParse({ secretEnv: 'no-equals-sign-s3cr3t' });
    expect(refused.success).toBe(false);
    expect(JSON.stringify(refused.error?.issues)).not.toContain('s3cr3t');
  });
});

describe('what the command receives', () => {
  it('gets its arguments literally: ; $( ) ` | * and leading dashes are never read as shell or options of Lifeboat', async () => {
    const args = [';', 'echo pwned', '$(id)', '`id`', '|', '*', '--flag', '-n', '&& touch pwned', "'quoted'", '"dq"', '\\', ''];
    const { bytes } = await capture({ argv: ['/usr/bin/printf', '[%s]\\n', ...args], cwd: work });
    expect(bytes.toString()).toBe(args.map((a) => `[${a}]\n`).join(''));
    expect(await readdir(work), 'nothing was run in its working directory').toEqual([]);
  });

  it('finds a bare program name on the worker\'s PATH, and says readably when it is not there', async () => {
    const { bytes } = await capture({ argv: ['printf', 'found'] });
    expect(bytes.toString()).toBe('found');
    const missing = await failedCapture({ argv: ['lifeboat-no-such-tool', 'get'] });
    expect(missing.code).toBe('TOOL_NOT_FOUND');
    expect(missing.message).toMatch(/^lifeboat-no-such-tool not found on the worker's PATH \(.+\); install it on the worker or give its absolute path$/);
    const absent = await failedCapture({ argv: ['/opt/lifeboat/no-such-tool'] });
    expect(absent).toEqual({ code: 'TOOL_NOT_FOUND', message: '/opt/lifeboat/no-such-tool does not exist on this worker or is not an executable file' });
  });

  it('runs with the allow-listed environment plus env and secretEnv; the secret is in its environment, never its argv', async () => {
    const secret = 'lb-secret-Zq9v2-not-for-argv';
    const pidFile = path.join(work, 'pid');
    process.env.LIFEBOAT_WORKER_ONLY_SECRET = 'the worker keeps this';
    try {
      const { stream, done } = cmd.backup(
        {
          argv: ['/bin/sh', '-c', 'echo $$ > "$1"; sleep 1; printf "%s|%s|%s" "$PLAIN" "$LIFEBOAT_WORKER_ONLY_SECRET" "$(printf %s "$LB_TOKEN" | sha256sum)"', 'sh', pidFile],
          env: { PLAIN: 'visible' },
        },
        { secretEnv: { LB_TOKEN: secret } },
      );
      const output = buffer(stream);
      let pid = '';
      for (let i = 0; i < 100 && pid === ''; i += 1) {
        await sleep(20);
        pid = (await readFile(pidFile, 'utf8').catch(() => '')).trim();
      }
      // Read while it sleeps: what any local user sees of it.
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
      expect(cmdline).toContain('sleep 1');
      expect(cmdline).not.toContain(secret);
      expect(environ.split('\0')).toContain(`LB_TOKEN=${secret}`);
      expect(environ).not.toContain('LIFEBOAT_WORKER_ONLY_SECRET');
      expect(environ).not.toMatch(/DATABASE_URL|LIFEBOAT_MASTER_KEY/);
      await done;
      const [plain, inherited, digest] = (await output).toString().split('|');
      expect(plain).toBe('visible');
      expect(inherited, 'the worker\'s own variables never reach a command').toBe('');
      expect(digest).toBe(`${sha(secret)}  -`);
    } finally {
      delete process.env.LIFEBOAT_WORKER_ONLY_SECRET;
    }
  });

  it('refuses an argv that carries a secret\'s value', async () => {
    const refused = await failedCapture({ argv: ['/usr/bin/printf', 'token=hunter2-abc'] }, { secretEnv: { TOKEN: 'hunter2-abc' } });
    expect(refused.code).toBe('INVALID_CONFIG');
    expect(refused.message).toBe('argument 1 holds the value of secretEnv TOKEN: pass secrets only through secretEnv, never in argv');
  });

  it('runs in cwd when one is set, else in its private {outputDir}', async () => {
    expect((await capture({ argv: ['/bin/pwd'], cwd: work })).bytes.toString()).toBe(`${work}\n`);
    const own = (await capture({ argv: ['/bin/sh', '-c', 'pwd; echo "$1"', 'sh', '{outputDir}'] })).bytes.toString().split('\n');
    expect(own[0]).toBe(own[1]);
    expect(own[0]!.startsWith(path.join(scratchRoot, 'lifeboat-command-out-'))).toBe(true);
    const missing = await failedCapture({ argv: ['/bin/pwd'], cwd: path.join(work, 'nowhere') });
    expect(missing).toEqual({ code: 'INVALID_CONFIG', message: `cwd ${path.join(work, 'nowhere')} is not a directory on this worker` });
  });
});

describe('failures', () => {
  it('fails a non-zero exit with TOOL_FAILED and the stderr tail', async () => {
    const f = await failedCapture({ argv: ['/bin/sh', '-c', 'echo partial; echo "error: the server is gone" >&2; exit 1'] });
    expect(f).toEqual({ code: 'TOOL_FAILED', message: 'capture command sh failed (exit code 1): error: the server is gone' });
  });

  it('fails a command that prints nothing with EMPTY_OUTPUT', async () => {
    const f = await failedCapture({ argv: ['/bin/sh', '-c', 'echo "no resources found" >&2'] });
    expect(f).toEqual({ code: 'EMPTY_OUTPUT', message: 'capture command sh exited 0 but printed nothing: no resources found' });
  });

  it('stops a command at its timeout, with everything it started', async () => {
    const pidFile = path.join(work, 'grandchild');
    const startedAt = Date.now();
    const f = await failedCapture({ argv: ['/bin/sh', '-c', 'sleep 37 & echo $! > "$1"; echo waiting >&2; wait', 'sh', pidFile], timeoutSeconds: 1 });
    expect(f).toEqual({ code: 'TOOL_FAILED', message: 'capture command sh timed out after 1 s and was stopped: waiting' });
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    const grandchild = Number((await readFile(pidFile, 'utf8')).trim());
    // Gone, or a zombie waiting for whoever adopted it to reap it (a container's init may never do so): not running.
    // (A live process under that pid with another command line is a later process that reused it.)
    const [stat, cmdline] = await Promise.all([readFile(`/proc/${grandchild}/stat`, 'utf8').catch(() => ''), readFile(`/proc/${grandchild}/cmdline`, 'utf8').catch(() => '')]);
    const state = stat === '' ? 'gone' : stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    const stillOurs = cmdline === 'sleep\u000037\u0000' && !['Z', 'X'].includes(state);
    expect(stillOurs, `the background sleep was killed with its process group (state ${state}, cmdline ${JSON.stringify(cmdline)})`).toBe(false);
  });

  it('cancels through the signal, killing the command', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const startedAt = Date.now();
    expect((await failedCapture({ argv: ['/bin/sleep', '30'] }, {}, { signal: controller.signal })).code).toBe('CANCELLED');
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });

  it('never shows a secret in a failure message, even one cut off at the start of the stderr tail', async () => {
    const secret = 'Sup3r-Secret-Token-Value';
    const f = await failedCapture({ argv: ['/bin/sh', '-c', 'echo "login failed for token $LB_TOKEN (${#LB_TOKEN} chars)" >&2; exit 2'] }, { secretEnv: { LB_TOKEN: secret } });
    expect(f.code).toBe('TOOL_FAILED');
    expect(f.message).toBe(`capture command sh failed (exit code 2): login failed for token ${REDACTED} (24 chars)`);
    // The tail keeps the last 8 KiB: a secret can straddle its start.
    expect(redact('et-Token-Value and more', [secret])).toBe(`${REDACTED} and more`);
    expect(redact('nothing here', [secret])).toBe('nothing here');
    // Timeout messages carry the tail too.
    const t = await failedCapture({ argv: ['/bin/sh', '-c', 'echo "using $LB_TOKEN" >&2; sleep 30'], timeoutSeconds: 1 }, { secretEnv: { LB_TOKEN: secret } });
    expect(t.message).toBe(`capture command sh timed out after 1 s and was stopped: using ${REDACTED}`);
  });

  it('refuses a files-output config in plain backup (single-object callers), pointing at backupObjects', () => {
    expect(() => cmd.backup({ argv: ['cp', '{outputDir}'], output: 'files' }, {})).toThrow(/backupObjects/);
  });
});

describe('files output', () => {
  it('yields one object per regular file, recursing, with unique roles and the original names in details', async () => {
    const objects = await files({
      argv: ['/bin/sh', '-c', 'cd "$1" && printf one > a.yaml && mkdir -p "ns/Prod App" && printf two > "ns/Prod App/All;\\$(x).yaml" && printf "" > empty && ln -s /etc/passwd link', 'sh', '{outputDir}'],
      output: 'files',
    });
    expect(objects.map((o) => [o.role, o.details, o.bytes.toString()])).toEqual([
      ['file.a.yaml', { file: 'a.yaml', size: 3 }, 'one'],
      ['file.empty', { file: 'empty', size: 0 }, ''],
      ['file.ns.prod-app.all-x-.yaml', { file: 'ns/Prod App/All;$(x).yaml', size: 3 }, 'two'],
    ]);
  });

  it('fails with EMPTY_OUTPUT when no file, or only empty files, were written', async () => {
    expect(await failure(files({ argv: ['/bin/sh', '-c', 'echo "nothing to snapshot" >&2'], output: 'files' }))).toEqual({
      code: 'EMPTY_OUTPUT',
      message: 'capture command sh exited 0 but wrote no files into {outputDir}: nothing to snapshot',
    });
    expect((await failure(files({ argv: ['/usr/bin/touch', '{outputDir}/a', '{outputDir}/b'], output: 'files' }))).code).toBe('EMPTY_OUTPUT');
  });

  it('fails a non-zero exit and a failing check, and accepts a passing one', async () => {
    expect((await failure(files({ argv: ['/bin/sh', '-c', 'printf x > "$1/f"; exit 3', 'sh', '{outputDir}'], output: 'files' }))).message).toBe('capture command sh failed (exit code 3)');
    const write = ['/bin/sh', '-c', 'printf snapshot > "$1/etcd.db"', 'sh', '{outputDir}'];
    const refused = await failure(files({ argv: write, output: 'files', checkArgv: ['/bin/sh', '-c', 'grep -q valid "$1" || { echo "$1: corrupt" >&2; exit 1; }', 'sh', '{outputDir}/etcd.db'] }));
    expect(refused.code).toBe('TOOL_FAILED');
    expect(refused.message).toMatch(/^the capture's check refused its output: check command sh failed \(exit code 1\): .*\/etcd\.db: corrupt$/);
    const checked = await files({ argv: write, output: 'files', checkArgv: ['/bin/grep', '-q', 'snapshot', '{outputDir}/etcd.db'] });
    expect(checked.map((o) => o.role)).toEqual(['file.etcd.db']);
  });

  it('removes {outputDir} when the caller stops iterating early', async () => {
    const iterator = cmd.backupObjects!({ argv: ['/bin/sh', '-c', 'printf 1 > "$1/a"; printf 2 > "$1/b"', 'sh', '{outputDir}'], output: 'files' }, {})[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as EngineBackupObject;
    await buffer(first.backup().stream);
    expect((await readdir(scratchRoot)).length).toBe(1);
    await iterator.return?.(undefined);
    expect(await readdir(scratchRoot)).toEqual([]);
  });

  it('names files with roles matching OBJECT_ROLE_PATTERN, unique even for names that differ only in case or length', () => {
    const long = `${'x'.repeat(100)}.yaml`;
    const roles = fileRoles(['A.yaml', 'a.yaml', long, `${long}2`, '???', '.hidden', 'dir/sub/file.txt']);
    expect(new Set(roles).size).toBe(roles.length);
    for (const r of roles) expect(r).toMatch(OBJECT_ROLE_PATTERN);
    expect(roles[0]).toBe('file.a.yaml');
    expect(roles[1]).toMatch(/^file\.a\.yaml-[0-9a-f]{8}$/);
    expect(roles[6]).toBe('file.dir.sub.file.txt');
  });
});

describe('restore', () => {
  const stdoutSource = { argv: ['cat'], output: 'stdout' };

  it('without restoreArgv refuses readably, early (checkRestoreTarget) and in the worker (restore); download mode too', async () => {
    const early = await failure(cmd.checkRestoreTarget!(stdoutSource, {}, {}));
    expect(early).toEqual({ code: 'INVALID_CONFIG', message: 'this source has no restore command; download the object instead' });
    const input = Readable.from([Buffer.from('x')]);
    expect(await failure(cmd.restore(stdoutSource, {}, input, {}))).toEqual(early);
    expect(input.destroyed).toBe(true);
    const download = await failure(cmd.checkRestoreTarget!({ ...stdoutSource, restoreArgv: ['cat'] }, {}, {}, { mode: 'download' }));
    expect(download.code).toBe('INVALID_CONFIG');
    expect(download.message).toMatch(/download the recovery point's objects instead/);
  });

  it('hands a stdout object to the restore command on its stdin', async () => {
    const out = path.join(work, 'restored.txt');
    const result = await cmd.restore({ ...stdoutSource, restoreArgv: ['/bin/sh', '-c', 'cat > "$1"', 'sh', out] }, {}, Readable.from([Buffer.from('hello; $(id)\n')]), {});
    expect(result).toMatchObject({ bytes: 13, target: 'restore command sh exited 0 after reading 13 bytes' });
    expect(await readFile(out, 'utf8')).toBe('hello; $(id)\n');
  });

  it('fails a restore command that exits 0 without reading its input, and one that exits non-zero (stderr redacted)', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 1);
    const lazy = await failure(cmd.restore({ ...stdoutSource, restoreArgv: ['/bin/true'] }, {}, Readable.from([big]), {}));
    expect(lazy.code).toBe('TOOL_FAILED');
    expect(lazy.message).toMatch(/^restore command true exited 0 before reading all of its input/);
    const failed = await failure(cmd.restore({ ...stdoutSource, restoreArgv: ['/bin/sh', '-c', 'cat >/dev/null; echo "denied for $T" >&2; exit 4'] }, { secretEnv: { T: 'tok-123456' } }, Readable.from([Buffer.from('x')]), {}));
    expect(failed).toEqual({ code: 'TOOL_FAILED', message: `restore command sh failed (exit code 4): denied for ${REDACTED}` });
  });

  it('restores a files point into {inputDir} under the original names, and a single file through restore', async () => {
    const dest = path.join(work, 'files-restored');
    const config = { argv: ['cp', '{outputDir}'], output: 'files', restoreArgv: ['cp', '-R', '--', '{inputDir}', dest] };
    const objects = [
      { role: 'file.a.yaml', details: { file: 'a.yaml' } },
      { role: 'file.ns.b.yaml', details: { file: 'ns/b.yaml' } },
    ];
    expect(cmd.restoreObjects!(config, {}, objects)).toEqual(['file.a.yaml', 'file.ns.b.yaml']);
    async function* inputs() {
      for (const o of objects) yield { ...o, extension: 'raw', input: Readable.from([Buffer.from(o.details.file)]) };
    }
    const result = await cmd.restoreSet!(config, {}, inputs(), {});
    expect(result.target).toBe('restore command cp exited 0 with 2 files in {inputDir}');
    expect(await readFile(path.join(dest, 'ns/b.yaml'), 'utf8')).toBe('ns/b.yaml');
    expect(await readFile(path.join(dest, 'a.yaml'), 'utf8')).toBe('a.yaml');

    const one = path.join(work, 'one-restored');
    await cmd.restore({ ...config, restoreArgv: ['cp', '-R', '--', '{inputDir}', one] }, {}, Readable.from([Buffer.from('snap')]), {}, {
      object: { role: 'file.etcd.db', details: { file: 'etcd.db', size: 4 } },
    });
    expect(await readFile(path.join(one, 'etcd.db'), 'utf8')).toBe('snap');
  });

  it('never writes outside {inputDir}, whatever an object\'s details say', () => {
    expect(restoredFileName({ role: 'file.a', details: { file: '../../etc/cron.d/x' } })).toBe('a');
    expect(restoredFileName({ role: 'file.a', details: { file: '/etc/passwd' } })).toBe('a');
    expect(restoredFileName({ role: 'file.a', details: { file: 'a/./b' } })).toBe('a');
    expect(restoredFileName({ role: 'file.x.y', details: { file: 'dir/x.y' } })).toBe('dir/x.y');
    expect(restoredFileName({ role: 'data', details: {} })).toBe('data');
  });
});

describe('definition', () => {
  it('is registered, admin-only, with a download mode and its presets served to the dashboard', () => {
    const engine = getEngine('command');
    expect(engine).toBe(commandEngine);
    const info = engineInfo(engine);
    expect(info).toMatchObject({ kind: 'command', label: 'Capture command', creatorRole: 'ADMIN', backupTypes: ['full'], extension: 'out' });
    expect(info.restoreModes.map((m) => m.mode)).toEqual(['command', 'download']);
    expect(info.presets?.map((p) => p.id)).toContain('etcd-snapshot');
    expect(engineInfo(getEngine('postgres'))).not.toHaveProperty('presets');
    expect(engineInfo(getEngine('postgres'))).not.toHaveProperty('creatorRole');
  });

  it('probes without running the command, and says which programs this machine lacks', async () => {
    const marker = path.join(work, 'probe-ran');
    const probe = await cmd.probe({ argv: ['/bin/sh', '-c', 'touch "$1"', 'sh', marker], restoreArgv: ['lifeboat-no-such-tool'] }, {});
    expect(probe.ok).toBe(true);
    expect(probe.message).toBe('the command is not run by the probe; found /bin/sh; not found on this server: lifeboat-no-such-tool (the workers must have it)');
    await expect(readFile(marker)).rejects.toThrow();
  });

  it('skips symlinks the command leaves in {outputDir}: they could point anywhere on the worker', async () => {
    const target = path.join(work, 'outside.txt');
    await writeFile(target, 'outside');
    const objects = await files({ argv: ['/bin/sh', '-c', 'ln -s "$2" "$1/link"; printf in > "$1/in.txt"', 'sh', '{outputDir}', target], output: 'files' });
    expect(objects.map((o) => o.details.file)).toEqual(['in.txt']);
  });
});
