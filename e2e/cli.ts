import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Creates an API token through the real CLI (`npm run lifeboat -- token create`) and returns it. */
export function createToken(name: string, role: 'viewer' | 'operator' | 'approver' | 'admin'): string {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'token', 'create', '--name', name, '--role', role], {
    cwd: ROOT,
    env: process.env,
    encoding: 'utf8',
  });
  const token = out.trim().split('\n').pop() ?? '';
  if (!token.startsWith('lbt_')) throw new Error(`unexpected CLI output: ${out}`);
  return token;
}
