import fs from 'node:fs/promises';
import path from 'node:path';

/** docs/FORMAT.md, shipped with the app, so the recovery kit carries the restore instructions. */
export async function readFormatDoc(): Promise<string> {
  try {
    return await fs.readFile(path.join(process.cwd(), 'docs', 'FORMAT.md'), 'utf8');
  } catch {
    return [
      '## Restoring without Lifeboat',
      '',
      'The full restore instructions were not found next to this Lifeboat installation. In short: check the data',
      'file against the sha256 in manifest.json, create a new database, then',
      '`age -d -i key.txt data.pgdump.zst.age | zstd -d | pg_restore --no-owner --exit-on-error -d NEW_DB`',
      '(the manifest\'s "restoreHint" is the command for that backup).',
    ].join('\n');
  }
}
