import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { operatorGuide, renderRecoveryKit } from './kit-text';

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
