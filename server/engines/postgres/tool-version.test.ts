import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('./run-tool', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./run-tool')>();
  return { ...actual, spawnPgTool: vi.fn(actual.spawnPgTool) };
});

const { spawnPgTool } = await import('./run-tool');
const { readToolVersion } = await import('./tool-version');

// Small binaries that answer `--version` with a first line naming themselves: stand-ins for a compiled pg_dump.
const ECHO = '/bin/echo';
const TRUE = '/bin/true';

describe('readToolVersion', () => {
  let binDir: string;
  const spawns = () => vi.mocked(spawnPgTool).mock.calls.length;
  /** Puts `source` at binDir/pg_dump the way a package upgrade does: a new file renamed over the old. */
  const install = (source: string) => {
    fs.copyFileSync(source, path.join(binDir, 'pg_dump.new'));
    fs.chmodSync(path.join(binDir, 'pg_dump.new'), 0o755);
    fs.renameSync(path.join(binDir, 'pg_dump.new'), path.join(binDir, 'pg_dump'));
  };
  const script = (version: string) => {
    fs.writeFileSync(path.join(binDir, 'pg_dump'), `#!/bin/sh\necho "pg_dump (PostgreSQL) ${version}"\n`, { mode: 0o755 });
  };

  beforeEach(() => {
    binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tool-version-'));
    vi.mocked(spawnPgTool).mockClear();
  });
  afterEach(() => fs.rmSync(binDir, { recursive: true, force: true }));

  it('asks a binary once per process, and again once it was replaced', async () => {
    install(ECHO);
    const first = await readToolVersion('pg_dump', { binDir });
    expect(first).toMatch(/^echo \(GNU coreutils\)/);
    expect(await readToolVersion('pg_dump', { binDir })).toBe(first);
    expect(spawns()).toBe(1);

    install(TRUE);
    expect(await readToolVersion('pg_dump', { binDir })).toMatch(/^true \(GNU coreutils\)/);
    expect(spawns()).toBe(2);
  });

  it('asks again when the binary was touched in place', async () => {
    install(ECHO);
    await readToolVersion('pg_dump', { binDir });
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(binDir, 'pg_dump'), later, later);
    await readToolVersion('pg_dump', { binDir });
    expect(spawns()).toBe(2);
  });

  it('keeps one answer per set of extra variables (a tool may read its mode from them)', async () => {
    install(ECHO);
    await readToolVersion('pg_dump', { binDir, env: { MODE: 'a' } });
    await readToolVersion('pg_dump', { binDir, env: { MODE: 'b' } });
    await readToolVersion('pg_dump', { binDir, env: { MODE: 'a' } });
    expect(spawns()).toBe(2);
  });

  it('never remembers a script: a wrapper (Debian pg_wrapper) may run another binary each time', async () => {
    script('15.2');
    expect(await readToolVersion('pg_dump', { binDir })).toBe('pg_dump (PostgreSQL) 15.2');
    expect(await readToolVersion('pg_dump', { binDir })).toBe('pg_dump (PostgreSQL) 15.2');
    expect(spawns()).toBe(2);
  });

  it('never remembers a missing tool or one that gave no version', async () => {
    expect(await readToolVersion('pg_dump', { binDir })).toBeUndefined();
    install(ECHO);
    expect(await readToolVersion('pg_dump', { binDir })).toMatch(/^echo/);
    install('/bin/false');
    expect(await readToolVersion('pg_dump', { binDir })).toBeUndefined();
    expect(await readToolVersion('pg_dump', { binDir })).toBeUndefined();
    expect(spawns()).toBe(4);
  });
});
