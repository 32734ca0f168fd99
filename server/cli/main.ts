import os from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { ZodError } from 'zod';
import { createApiToken } from '@/server/auth/api-tokens';
import { ROLES, type Actor, type Role } from '@/server/auth/permissions';
import { createUser } from '@/server/auth/users';
import { verifyAuditChain } from '@/server/audit';
import { db, disconnectDb } from '@/server/shared/db';
import { isDomainError } from '@/server/shared/errors';

/** Whoever can run the CLI on the server can read the data directory and its master key: they act as admin. */
const cliActor: Actor = { type: 'system', id: null, label: `cli (${os.userInfo().username}@${os.hostname()})`, role: 'ADMIN' };

const parseRole = (value: string): Role => {
  const upper = value.toUpperCase();
  if (!(ROLES as readonly string[]).includes(upper)) throw new InvalidArgumentError(`role must be one of ${ROLES.join(', ').toLowerCase()}`);
  return upper as Role;
};

const program = new Command('lifeboat').description('Lifeboat administration');

const token = program.command('token').description('API tokens');
token
  .command('create')
  .description('create an API token (shown once)')
  .requiredOption('--name <name>', 'what the token is for')
  .option('--role <role>', 'viewer, operator, approver or admin', parseRole, 'OPERATOR' as Role)
  .option('--owner <email>', 'user the token belongs to (default: the first admin)')
  .option('--expires-in-days <days>', 'lifetime in days', (v) => Number.parseInt(v, 10))
  .action(async (opts: { name: string; role: Role; owner?: string; expiresInDays?: number }) => {
    const owner = opts.owner
      ? await db().user.findUnique({ where: { email: opts.owner.toLowerCase() } })
      : await db().user.findFirst({ where: { role: 'ADMIN' }, orderBy: { createdAt: 'asc' } });
    if (!owner) throw new Error(opts.owner ? `no user with email ${opts.owner}` : 'no admin user exists; run the seed first');
    const created = await createApiToken({ actor: cliActor }, owner.id, { name: opts.name, role: opts.role, expiresInDays: opts.expiresInDays });
    console.log(`Created token "${created.name}" (${created.role.toLowerCase()}) for ${owner.email}. It is shown once:`);
    console.log(created.token);
  });

const user = program.command('user').description('users');
user
  .command('create')
  .requiredOption('--email <email>')
  .requiredOption('--name <name>')
  .requiredOption('--role <role>', 'viewer, operator, approver or admin', parseRole)
  .option('--password <password>', 'at least 12 characters (default: read LIFEBOAT_NEW_USER_PASSWORD)')
  .action(async (opts: { email: string; name: string; role: Role; password?: string }) => {
    const password = opts.password ?? process.env.LIFEBOAT_NEW_USER_PASSWORD;
    if (!password) throw new Error('give --password or set LIFEBOAT_NEW_USER_PASSWORD');
    const created = await createUser({ actor: cliActor }, { email: opts.email, name: opts.name, role: opts.role, password });
    console.log(`Created ${created.role.toLowerCase()} ${created.email}`);
  });

program
  .command('audit-verify')
  .description('verify the audit chain (HMAC-keyed; the old sha256 prefix too) and the newest anchor on the destinations')
  .option('--json', 'print the report as JSON')
  .action(async (opts: { json?: boolean }) => {
    const report = await verifyAuditChain();
    if (opts.json) console.log(JSON.stringify(report, null, 2));
    else {
      const anchor = report.anchor.ok === null ? `anchor: ${report.anchor.detail}` : `anchor on ${report.anchor.destination} (#${report.anchor.sequence}): ${report.anchor.ok ? 'ok' : 'FAILED'}: ${report.anchor.detail}`;
      if (report.firstBad) console.error(`audit chain BROKEN at event #${report.firstBad.id} (${report.firstBad.problem}): ${report.firstBad.detail}; ${report.checked} events verified before it`);
      else console.log(`audit chain intact: ${report.checked} events`);
      (report.anchor.ok === false ? console.error : console.log)(anchor);
      for (const u of report.anchor.unreadable) console.error(`anchor not read from ${u.destination}: ${u.error}`);
    }
    // 1 on failure, like any other failed command: scripts and monitors only need the exit status.
    if (!report.ok) process.exitCode = 1;
  });

program
  .parseAsync(process.argv)
  .catch((e: unknown) => {
    const message =
      e instanceof ZodError
        ? e.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')
        : isDomainError(e) || e instanceof Error
          ? e.message
          : String(e);
    console.error(`lifeboat: ${message}`);
    process.exitCode = 1;
  })
  .finally(() => void disconnectDb());
