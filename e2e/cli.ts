import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
type Role = 'viewer' | 'operator' | 'approver' | 'admin';

const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], { cwd: ROOT, env, encoding: 'utf8' });

/**
 * Creates an API token through the real CLI (`npm run lifeboat -- token create`) and returns it. Without `owner` it
 * belongs to the first admin (the seeded one the browser signs in as); approving a restore that person requested
 * needs a token of someone else (`owner`: an email, see createUser).
 */
export function createToken(name: string, role: Role, opts: { owner?: string } = {}): string {
  const out = cli(['token', 'create', '--name', name, '--role', role, ...(opts.owner ? ['--owner', opts.owner] : [])]);
  const token = out.trim().split('\n').pop() ?? '';
  if (!token.startsWith('lbt_')) throw new Error(`unexpected CLI output: ${out}`);
  return token;
}

/** Creates a user through the real CLI (`user create`), its password passed in the environment, never argv. */
export function createUser(email: string, role: Role): void {
  cli(['user', 'create', '--email', email, '--name', email.split('@')[0]!, '--role', role], {
    ...process.env,
    LIFEBOAT_NEW_USER_PASSWORD: crypto.randomBytes(18).toString('base64url'),
  });
}
