import type { Command } from 'commander';
import { z } from 'zod';
import { idArg, timeoutMs, type CommandContext, type ContextOf } from '../context';
import { EXIT } from '../errors';
import { bytes, duration, secondsBetween, shown, time } from '../format';
import { Run, RunLog, TERMINAL_STATUSES } from '../schemas';

/** "backup run 1a2b… of orders-db succeeded in 4 s: recovery point 9f8e…": one line for a finished run. */
export function finishedLine(run: Run): string {
  const what = `${run.kind.toLowerCase()} run ${run.id}${run.sourceName ? ` of ${run.sourceName}` : ''}`;
  const took = duration(secondsBetween(run.startedAt ?? run.createdAt, run.finishedAt));
  if (run.status === 'SUCCEEDED') {
    const point = run.kind === 'BACKUP' && run.outputRecoveryPointId ? `: recovery point ${run.outputRecoveryPointId}` : '';
    return `${what} succeeded in ${took}${point}`;
  }
  const attempts = run.attempt > 1 ? ` after ${run.attempt} attempts` : '';
  return `${what} ${run.status}${attempts}${run.error ? `: ${shown(run.error, 500)}` : ''}`;
}

/**
 * Prints a followed run's end: stdout when it succeeded, stderr (exit 1) when it failed or was cancelled; `--json`
 * prints `json` (the run, unless the command answers more) either way.
 */
export function reportFollowed(ctx: CommandContext, run: Run, json: unknown = run): void {
  const ok = run.status === 'SUCCEEDED';
  if (ctx.json) ctx.answer(json, () => '');
  else if (ok) ctx.say(finishedLine(run));
  else ctx.tell(`lifeboat: ${finishedLine(run)}`);
  if (!ok) ctx.exitCode = EXIT.FAILED;
}

/** `runs show`: the run's fields that say where it is and how it went. */
export function runDetails(run: Run): string {
  const lines: [string, string][] = [
    ['run', run.id],
    ['kind', run.kind.toLowerCase()],
    ['status', run.status + (run.cancelRequested && !TERMINAL_STATUSES.includes(run.status) ? ' (cancel requested)' : '')],
    ['source', run.sourceName ? `${run.sourceName} (${run.sourceId})` : (run.sourceId ?? '-')],
  ];
  if (run.recoveryPointId) lines.push(['from point', run.recoveryPointId]);
  if (run.outputRecoveryPointId) lines.push(['recovery point', run.outputRecoveryPointId]);
  if (run.phase && !TERMINAL_STATUSES.includes(run.status)) lines.push(['phase', run.phase]);
  lines.push(['progress', run.bytesTotal ? `${bytes(run.bytesDone)} of ${bytes(run.bytesTotal)}` : bytes(run.bytesDone)]);
  lines.push(['attempt', `${run.attempt} of ${run.maxAttempts}`]);
  lines.push(['created', time(run.createdAt)]);
  if (run.startedAt) lines.push(['started', time(run.startedAt)]);
  if (run.finishedAt) lines.push(['finished', `${time(run.finishedAt)} (${duration(secondsBetween(run.startedAt ?? run.createdAt, run.finishedAt))})`]);
  if (run.error) lines.push(['error', shown(run.error, 2000)]);
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`).join('\n');
}

export function registerRuns(program: Command, contextOf: ContextOf): void {
  const runs = program.command('runs').description('backup, restore and verify runs');

  runs
    .command('show')
    .description('show a run; --wait follows it to its end')
    .argument('<run>', 'run id')
    .option('--wait', 'follow the run to its end (exit 1 if it fails or is cancelled)')
    .option('--timeout <seconds>', 'with --wait: stop following after this long (exit 1; the run goes on)')
    .option('--logs', "also print the run's log lines")
    .action(async (rawId: string, opts: { wait?: boolean; timeout?: string; logs?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = idArg(rawId, 'run');
      const timeout = timeoutMs(opts.timeout);
      let run = await ctx.client.get(`/runs/${id}`, Run);
      if (opts.wait && !TERMINAL_STATUSES.includes(run.status)) run = await ctx.follow(id, timeout);
      const logs = opts.logs ? (await ctx.client.get(`/runs/${id}/logs`, z.looseObject({ items: z.array(RunLog) }))).items : null;
      const json = logs ? { ...run, logs } : run;
      ctx.answer(json, () => {
        const text = runDetails(run);
        if (!logs) return text;
        const lines = logs.map((l) => `${time(l.at)} ${l.level.padEnd(5)} ${shown(l.message, 2000)}`);
        return `${text}\n\nlogs:\n${lines.join('\n') || '(none)'}`;
      });
      if (opts.wait && run.status !== 'SUCCEEDED') {
        ctx.tell(`lifeboat: ${finishedLine(run)}`);
        ctx.exitCode = EXIT.FAILED;
      }
    });
}
