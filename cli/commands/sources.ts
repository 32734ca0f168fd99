import type { Command } from 'commander';
import { isUuid, timeoutMs, type CommandContext, type ContextOf } from '../context';
import { CliError, usageError } from '../errors';
import { bytes, shown, table, time } from '../format';
import { itemsOf, RecoveryPoint, Run, Source } from '../schemas';
import { reportFollowed } from './runs';

/**
 * A source by id or by name (names are unique, docs/API.md): an id is read directly, a name looked up in the list.
 * Neither found is a usage error (exit 2) that says how to list them.
 */
export async function resolveSource(ctx: CommandContext, ref: string): Promise<Source> {
  const value = ref.trim();
  if (!value) throw usageError('give a source: its name or id (lifeboat sources list shows them)');
  if (isUuid(value)) {
    try {
      return await ctx.client.get(`/sources/${value.toLowerCase()}`, Source);
    } catch (e) {
      if (!(e instanceof CliError && e.status === 404)) throw e;
      // A uuid-like name is still a name; fall through to the list.
    }
  }
  const { items } = await ctx.client.get('/sources', itemsOf(Source));
  const found = items.find((s) => s.name === value) ?? items.find((s) => s.id === value.toLowerCase());
  if (found) return found;
  const near = items.filter((s) => s.name.toLowerCase() === value.toLowerCase());
  throw usageError(
    `no source named "${shown(value, 60)}"${near.length === 1 ? `; did you mean "${shown(near[0]!.name, 60)}"?` : ''} (lifeboat sources list shows them)`,
  );
}

export function registerSources(program: Command, contextOf: ContextOf): void {
  const sources = program.command('sources').description('what Lifeboat protects');
  sources
    .command('list')
    .description('list the sources')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const answer = await ctx.client.get('/sources', itemsOf(Source));
      ctx.answer(answer, () =>
        answer.items.length === 0
          ? 'no sources yet'
          : table(
              ['NAME', 'KIND', 'SERVICE', 'POINTS', 'LAST RUN', 'ID'],
              answer.items.map((s) => [
                shown(s.name, 40),
                s.kind,
                s.service ? shown(s.service.name, 30) : '-',
                String(s.recoveryPointCount ?? '-'),
                s.lastRun ? `${s.lastRun.kind.toLowerCase()} ${s.lastRun.status}${s.lastRun.finishedAt ? ` ${time(s.lastRun.finishedAt)}` : ''}` : '-',
                s.id,
              ]),
            ),
      );
    });

  program
    .command('backup')
    .description('back up a source now; --wait follows the run to its end')
    .argument('<source>', 'source name or id')
    .option('--wait', 'follow the run to its end (exit 1 if it fails or is cancelled)')
    .option('--timeout <seconds>', 'with --wait: stop following after this long (exit 1; the run goes on)')
    .action(async (ref: string, opts: { wait?: boolean; timeout?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const timeout = timeoutMs(opts.timeout);
      const source = await resolveSource(ctx, ref);
      const run = await ctx.client.post(`/sources/${source.id}/backups`, Run);
      if (!opts.wait) {
        ctx.answer(run, () => `queued backup run ${run.id} of ${source.name}\nfollow it: lifeboat runs show ${run.id} --wait`);
        return;
      }
      ctx.tell(`backup run ${run.id} of ${source.name} queued; following it`);
      reportFollowed(ctx, await ctx.follow(run.id, timeout));
    });

  const points = program.command('points').description('recovery points');
  points
    .command('list')
    .description("list a source's recovery points, newest first")
    .argument('<source>', 'source name or id')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const source = await resolveSource(ctx, ref);
      const answer = await ctx.client.get(`/sources/${source.id}/recovery-points`, itemsOf(RecoveryPoint));
      ctx.answer(answer, () => {
        if (answer.items.length === 0) return `${source.name} has no recovery points yet (lifeboat backup ${source.name} --wait)`;
        return table(
          ['ID', 'CREATED', 'SIZE', 'VERIFIED', 'COPIES', 'PROTECTION'],
          answer.items.map((p) => [
            p.id,
            time(p.createdAt),
            bytes(p.totalBytes ?? p.sizeBytes),
            p.verifiedAt ? time(p.verifiedAt) : p.verifyError ? 'FAILED' : 'no',
            p.storedCopies ? `${p.storedCopies.ok} of ${p.storedCopies.total}` : '-',
            [p.legalHold ? 'legal hold' : '', p.lockedUntil && new Date(p.lockedUntil) > new Date() ? `locked until ${time(p.lockedUntil)}` : '']
              .filter(Boolean)
              .join(', ') || '-',
          ]),
        );
      });
    });
}
