import fs from 'node:fs/promises';
import path from 'node:path';

/** docs/FORMAT.md, shipped with the app, so the recovery kit carries the restore instructions. */
export async function readFormatDoc(): Promise<string> {
  try {
    return await fs.readFile(path.join(process.cwd(), 'docs', 'FORMAT.md'), 'utf8');
  } catch {
    return 'docs/FORMAT.md was not found next to the app; see the Lifeboat repository for the restore instructions.';
  }
}
