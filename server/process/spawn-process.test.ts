import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { childEnv } from './child-env';
import { describeExit, failedOnItsOwn, spawnProcess, startFailure } from './spawn-process';

const WORKER = {
  PATH: '/usr/local/bin:/usr/bin',
  HOME: '/var/lib/lifeboat',
  TMPDIR: '/tmp/w',
  TZ: 'Europe/Paris',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  LC_MESSAGES: 'C',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  DATABASE_URL: 'postgresql://catalog:pw@db/lifeboat',
  REDIS_URL: 'redis://:pw@redis:6379',
  LIFEBOAT_MASTER_KEY: 'master',
  LIFEBOAT_DATA_DIR: '/data',
  PGPASSWORD: 'worker-pg-password',
  PGHOST: 'elsewhere',
  ZSTD_CLEVEL: '19',
  NODE_OPTIONS: '--inspect',
  LD_PRELOAD: '/tmp/evil.so',
  UNSET: undefined,
};

describe('childEnv', () => {
  it('keeps PATH, locale, HOME/TMPDIR/TZ and nothing else of the worker', () => {
    expect(childEnv({}, WORKER)).toEqual({
      PATH: '/usr/local/bin:/usr/bin',
      HOME: '/var/lib/lifeboat',
      TMPDIR: '/tmp/w',
      TZ: 'Europe/Paris',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
      LC_MESSAGES: 'C',
    });
  });

  it('adds what the caller passes on purpose, which wins over an inherited name', () => {
    expect(childEnv({ PGPASSWORD: 'source-password', HOME: '/elsewhere' }, { PATH: '/bin', HOME: '/home/w', PGPASSWORD: 'worker' })).toEqual({
      PATH: '/bin',
      HOME: '/elsewhere',
      PGPASSWORD: 'source-password',
    });
  });

  it('gives a PATH even when the worker has none', () => {
    expect(childEnv({}, {}).PATH).toBe('/usr/local/bin:/usr/bin:/bin');
  });

  it('matches names exactly (no lowercase or prefixed look-alikes)', () => {
    expect(childEnv({}, { path: '/x', MYPATH: '/y', LC_: 'z', XLC_ALL: 'a', PATH: '/bin' })).toEqual({ PATH: '/bin' });
  });
});

describe('spawnProcess', () => {
  it('runs argv without a shell and with only the allow-listed environment', async () => {
    const proc = spawnProcess({ command: 'sh', args: ['-c', 'cat /proc/$$/environ; echo "$1" >&2', 'sh', '$(id); `x`'], env: { ON_PURPOSE: 'yes' } });
    const chunks: Buffer[] = [];
    proc.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
    const exit = await proc.exited;
    expect(exit).toMatchObject({ code: 0, signal: null, killedByUs: false });
    // The argument arrives literally: nothing interpreted it.
    expect(exit.stderrTail.trim()).toBe('$(id); `x`');
    const names = Buffer.concat(chunks)
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      .map((entry) => entry.slice(0, entry.indexOf('=')));
    expect(names).toContain('PATH');
    expect(names).toContain('ON_PURPOSE');
    for (const name of names) expect(['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG', 'LANGUAGE', 'ON_PURPOSE', 'PWD', 'SHLVL', '_'].includes(name) || name.startsWith('LC_'), name).toBe(true);
  });

  it('keeps only the tail of a chatty stderr and reports a failing exit as its own', async () => {
    const proc = spawnProcess({ command: 'sh', args: ['-c', 'head -c 100000 /dev/zero | tr "\\0" x >&2; echo last words >&2; exit 4'] });
    const exit = await proc.exited;
    expect(exit.code).toBe(4);
    expect(exit.stderrTail.length).toBeLessThanOrEqual(8 * 1024);
    expect(exit.stderrTail).toMatch(/last words\n$/);
    expect(failedOnItsOwn(exit)).toBe(true);
    expect(describeExit(exit)).toBe('exit code 4');
  });

  it('kill() stops the whole process group, SIGKILL for one that ignores SIGTERM, and exited settles', async () => {
    // A wrapper whose own child ignores SIGTERM and holds stdout open: only a group SIGKILL ends both.
    const proc = spawnProcess({ command: 'sh', args: ['-c', "sh -c 'trap \"\" TERM; echo $$; sleep 30' & wait"], killGraceMs: 200 });
    const pid = await new Promise<number>((resolve) => proc.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    const pgid = Number((await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[2]);
    expect(pgid).toBe(proc.child.pid);
    proc.kill();
    proc.kill(); // harmless twice
    const exit = await proc.exited;
    expect(exit.killedByUs).toBe(true);
    expect(failedOnItsOwn(exit)).toBe(false);
    // Gone, or a zombie waiting for init to reap it: either way it no longer runs.
    let alive = true;
    try {
      const state = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]![0];
      alive = state !== 'Z';
    } catch {
      alive = false;
    }
    expect(alive).toBe(false);
  });

  it('a missing binary is TOOL_NOT_FOUND, saying where it was looked for', async () => {
    const onPath = await spawnProcess({ command: 'lifeboat-no-such-tool', args: [] }).exited;
    expect(onPath.spawnError?.code).toBe('ENOENT');
    expect(failedOnItsOwn(onPath)).toBe(true);
    expect(startFailure('lifeboat-no-such-tool', 'lifeboat-no-such-tool', onPath.spawnError!, 'install it')).toEqual({
      code: 'TOOL_NOT_FOUND',
      message: 'lifeboat-no-such-tool not found on PATH; install it',
    });
    const atPath = await spawnProcess({ command: '/nonexistent/bin/pg_dump', args: [] }).exited;
    expect(startFailure('pg_dump', '/nonexistent/bin/pg_dump', atPath.spawnError!, 'install the PostgreSQL client tools').message).toBe(
      'pg_dump not found at /nonexistent/bin/pg_dump; install the PostgreSQL client tools',
    );
    const dir = await mkdtemp(path.join(tmpdir(), 'lifeboat-process-'));
    try {
      const file = path.join(dir, 'not-executable');
      await writeFile(file, '#!/bin/sh\n', { mode: 0o644 });
      const notExecutable = await spawnProcess({ command: file, args: [] }).exited;
      expect(startFailure('not-executable', file, notExecutable.spawnError!, 'x')).toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/^could not start not-executable: .*EACCES/) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
