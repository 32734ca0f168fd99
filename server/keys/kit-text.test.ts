import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEVERAL_OBJECTS_GUIDE, operatorGuide, renderRecoveryKit } from './kit-text';

const FORMAT = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/FORMAT.md'), 'utf8');
// What an operator has no use for: paths in Lifeboat's source tree and source file names.
const SOURCE_NAMES = /\b(server|workers|app|components|prisma|scripts|lib|e2e)\/|\.tsx?\b|\.mjs\b|verifyAndDecode|format\.int\.test/;

describe('the recovery kit text (issue 9: for operators, no source-file names)', () => {
  const kit = renderRecoveryKit(
    [{ name: 'key-1', recipient: 'age1example', createdAt: new Date('2026-01-02T03:04:05Z'), active: true, identity: 'AGE-SECRET-KEY-1EXAMPLE' }],
    operatorGuide(FORMAT),
  );

  it('names no source file, from the real docs/FORMAT.md', () => {
    expect(FORMAT).toMatch(SOURCE_NAMES); // the doc does; the kit must not
    const offending = kit.split('\n').filter((l) => SOURCE_NAMES.test(l));
    expect(offending).toEqual([]);
  });

  it('keeps the identities in age key-file form and every restore command of the doc', () => {
    expect(kit).toContain('# key-1  recipient age1example  created 2026-01-02T03:04:05.000Z  (active)\nAGE-SECRET-KEY-1EXAMPLE\n');
    for (const command of [
      'age -d -i key.txt data.pgdump.zst.age | zstd -d | pg_restore --no-owner --exit-on-error -d NEW_DB',
      'zstd -d -c data.pgdump.zst | pg_restore --no-owner --exit-on-error -d NEW_DB',
      'age -d -i key.txt data.pgdump.age | pg_restore --no-owner --exit-on-error -d NEW_DB',
      'pg_restore --no-owner --exit-on-error -d NEW_DB data.pgdump',
      'sha256sum --check --strict',
    ]) {
      expect(kit).toContain(command);
    }
    // Fences lose the test's tags: an operator sees plain shell blocks.
    expect(kit).not.toMatch(/```sh restore-postgres/);
    expect(kit).toMatch(/```sh\nset -euo pipefail/);
    expect(kit.indexOf('## Restoring without Lifeboat')).toBeLessThan(kit.indexOf('## Layout'));
  });
});

describe('the recovery kit: a backup folder with several objects (issue 10)', () => {
  const kit = renderRecoveryKit([], operatorGuide(FORMAT));
  const block = /```sh\n([\s\S]*?)```/.exec(SEVERAL_OBJECTS_GUIDE)?.[1] ?? '';
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-kit-objects-'));
    execFileSync('age-keygen', ['-o', path.join(dir, 'key.txt')], { stdio: 'ignore' });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A run folder as a backup leaves it: each object encoded on its own, and a manifest listing them with their sha256. */
  function writeFolder(folder: string, objects: Array<{ role: string; ext: string; codec: 'zstd+age' | 'zstd' | 'age' | 'none'; raw: Buffer }>) {
    fs.mkdirSync(folder);
    const recipient = execFileSync('age-keygen', ['-y', path.join(dir, 'key.txt')]).toString().trim();
    const entries = objects.map((o) => {
      const suffix = { 'zstd+age': '.zst.age', zstd: '.zst', age: '.age', none: '' }[o.codec];
      const file = `${o.role}.${o.ext}${suffix}`;
      let bytes = o.raw;
      if (o.codec.startsWith('zstd')) bytes = execFileSync('zstd', ['-q', '-c'], { input: bytes });
      if (o.codec.endsWith('age')) bytes = execFileSync('age', ['-r', recipient], { input: bytes });
      fs.writeFileSync(path.join(folder, file), bytes);
      return { role: o.role, key: `sources/s/2026/12/02/r/${file}`, size: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), codec: o.codec };
    });
    fs.writeFileSync(path.join(folder, 'manifest.json'), JSON.stringify({ manifestVersion: 3, objects: entries }));
    fs.copyFileSync(path.join(dir, 'key.txt'), path.join(folder, 'key.txt'));
  }

  const run = (folder: string) => execFileSync('bash', ['-c', block], { cwd: folder, stdio: 'pipe' }).toString();

  it('is in the kit, and the kit says a folder may hold several objects', () => {
    expect(kit).toContain('## A backup folder with several objects');
    expect(kit).toMatch(/A folder may hold several objects \(<role>\.<ext>\.zst\.age/);
    expect(block).toContain('sha256sum --check --strict');
  });

  it('checks and decodes every object of a three-object folder to its raw bytes', () => {
    const raws = { 'db.orders': crypto.randomBytes(50_000), 'db.billing': Buffer.from('PGDMP billing '.repeat(4000)), globals: Buffer.from('CREATE ROLE app;\n') };
    const folder = path.join(dir, 'three');
    writeFolder(folder, [
      { role: 'db.orders', ext: 'pgdump', codec: 'zstd+age', raw: raws['db.orders'] },
      { role: 'db.billing', ext: 'pgdump', codec: 'zstd+age', raw: raws['db.billing'] },
      { role: 'globals', ext: 'sql', codec: 'zstd+age', raw: raws.globals },
    ]);
    const out = run(folder);
    expect(out.split('\n').filter((l) => l.endsWith(': OK')).sort()).toEqual(['db.billing.pgdump.zst.age: OK', 'db.orders.pgdump.zst.age: OK', 'globals.sql.zst.age: OK']);
    expect(fs.readFileSync(path.join(folder, 'db.orders.pgdump')).equals(raws['db.orders'])).toBe(true);
    expect(fs.readFileSync(path.join(folder, 'db.billing.pgdump')).equals(raws['db.billing'])).toBe(true);
    expect(fs.readFileSync(path.join(folder, 'globals.sql')).equals(raws.globals)).toBe(true);
  });

  it('decodes compressed-only, encrypted-only and plain objects too', () => {
    const raw = Buffer.from('some raw bytes\n'.repeat(100));
    const folder = path.join(dir, 'mixed');
    writeFolder(folder, [
      { role: 'a', ext: 'pgdump', codec: 'zstd', raw },
      { role: 'b', ext: 'pgdump', codec: 'age', raw },
      { role: 'c', ext: 'pgdump', codec: 'none', raw },
    ]);
    run(folder);
    for (const f of ['a.pgdump', 'b.pgdump', 'c.pgdump']) expect(fs.readFileSync(path.join(folder, f)).equals(raw)).toBe(true);
  });

  it('stops at a damaged object, before decoding anything', () => {
    const folder = path.join(dir, 'damaged');
    writeFolder(folder, [
      { role: 'db.one', ext: 'pgdump', codec: 'zstd+age', raw: crypto.randomBytes(1000) },
      { role: 'globals', ext: 'sql', codec: 'zstd+age', raw: Buffer.from('CREATE ROLE x;\n') },
    ]);
    const file = path.join(folder, 'globals.sql.zst.age');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1]! ^= 0x01;
    fs.writeFileSync(file, bytes);
    let failure: { stdout?: Buffer; status?: number } = {};
    try {
      run(folder);
    } catch (e) {
      failure = e as typeof failure;
    }
    expect(failure.status).not.toBe(0);
    expect(failure.stdout?.toString()).toMatch(/globals\.sql\.zst\.age: FAILED/);
    expect(fs.existsSync(path.join(folder, 'db.one.pgdump'))).toBe(false);
  });
});
