import type { Command } from 'commander';
import { idArg, timeoutMs, type CommandContext, type ContextOf } from '../context';
import { EXIT, usageError } from '../errors';
import { duration, secondsBetween, shown, table, time } from '../format';
import { itemsOf, RestoreAnswer, RestoreRequest, Run } from '../schemas';
import { parseTarget } from '../target';
import { finishedLine, reportFollowed } from './runs';

const OPEN = ['PENDING_APPROVAL', 'APPROVED'];
const STATUSES = ['PENDING_APPROVAL', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED', 'EXECUTED'];

const approvalsWord = (n: number) => `${n} approval${n === 1 ? '' : 's'}`;

/** "0 of 1 approval (tier tier-2-important: 1 approval)". */
function approvalState(r: RestoreRequest): string {
  return `${r.approvals.length} of ${approvalsWord(r.requiredApprovals)}${r.requiresAdminApproval ? ', one from an admin' : ''} (${shown(r.rule, 120)})`;
}

/**
 * What a request means for the person who asked: waiting (with what it waits for and until when), running as a run,
 * or ended. Ends with the command that moves it on.
 */
function requestWords(r: RestoreRequest): string {
  if (r.status === 'PENDING_APPROVAL') {
    return [
      `restore request ${r.id} waits for approval: ${approvalState(r)}; it expires at ${time(r.expiresAt)}`,
      `an approver runs: lifeboat requests approve ${r.id}`,
    ].join('\n');
  }
  if (r.status === 'APPROVED' && !r.runId) {
    const why = r.executionError ? `, but the restore could not start: ${r.executionError.code}: ${shown(r.executionError.message, 500)}` : '';
    return `restore request ${r.id} is approved${why}\nstart it once the cause is fixed: lifeboat requests execute ${r.id}`;
  }
  if (r.runId) return `restore request ${r.id} ${r.status.toLowerCase()}: restore run ${r.runId}`;
  return `restore request ${r.id} is ${r.status.toLowerCase()}`;
}

/** `requests show`: the fields an approver reads before deciding. */
function requestDetails(r: RestoreRequest): string {
  const lines: [string, string][] = [
    ['request', r.id],
    ['status', r.status],
    ['source', shown(r.sourceName ?? '-', 80)],
    ['point', r.recoveryPointId],
    ['target', r.target ? shown(JSON.stringify(r.target), 300) : '-'],
    ['mode', `${r.mode}${r.destructive ? ' (DESTRUCTIVE: replaces what is there)' : ''}`],
    ['reason', shown(r.reason || '-', 500)],
    ['requested by', shown(r.requester?.email ?? '-', 80)],
    ['approvals', approvalState(r)],
    ...r.approvals.map((a): [string, string] => ['  approved by', shown(a.approver?.email ?? '-', 80)]),
    ['created', time(r.createdAt)],
    ['expires', time(r.expiresAt)],
  ];
  if (r.runId) lines.push(['run', r.runId]);
  if (r.executionError) lines.push(['could not start', `${r.executionError.code}: ${shown(r.executionError.message, 500)}`]);
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${v}`).join('\n');
}

/**
 * After a decision or an execution: the request, and its run when it has one; with `--wait` the run is followed and
 * its end decides the exit status. JSON: `{ request, run }` (`run` null while nothing runs).
 */
async function reportRequest(ctx: CommandContext, request: RestoreRequest, opts: { wait?: boolean; timeout?: number; queued?: Run }) {
  if (request.executionError && !request.runId) {
    ctx.answer({ request, run: null }, () => requestWords(request));
    ctx.exitCode = EXIT.FAILED;
    return;
  }
  if (!request.runId) {
    ctx.answer({ request, run: null }, () => requestWords(request));
    if (opts.wait) ctx.tell('lifeboat: nothing to follow until the request is approved; this command does not wait for approvers');
    return;
  }
  if (opts.wait) {
    ctx.tell(`restore request ${request.id}: restore run ${request.runId} queued; following it`);
    const run = await ctx.follow(request.runId, opts.timeout);
    reportFollowed(ctx, run, { request, run });
    return;
  }
  const run = opts.queued ?? (await ctx.client.get(`/runs/${request.runId}`, Run));
  ctx.answer({ request, run }, () =>
    TERMINAL_STATUS(run) ? finishedLine(run) : `restore request ${request.id}: restore run ${run.id} is ${run.status.toLowerCase()}\nfollow it: lifeboat runs show ${run.id} --wait`,
  );
}

const TERMINAL_STATUS = (run: Run) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status);

export function registerRestores(program: Command, contextOf: ContextOf): void {
  program
    .command('restore')
    .description('restore a recovery point; waits for approval when its tier asks for it')
    .argument('[point]', 'recovery point id (lifeboat points list <source>)')
    .option('--target <target...>', 'where to restore: key=value, key:=json, a JSON object or @file.json (@- for stdin)')
    .option('--mode <mode>', "restore mode (the engine's; PostgreSQL: new, in-place)")
    .option('--reason <text>', 'why (shown to approvers and kept in the audit trail)')
    .option('--confirm <name>', 'for a destructive mode: the name it asks you to type (PostgreSQL in-place: the database)')
    .option('--wait', 'when it runs at once: follow the run to its end (exit 1 if it fails)')
    .option('--timeout <seconds>', 'with --wait: stop following after this long (exit 1; the run goes on)')
    .action(
      async (
        rawPoint: string | undefined,
        opts: { target?: string[]; mode?: string; reason?: string; confirm?: string; wait?: boolean; timeout?: string },
        cmd: Command,
      ) => {
        const ctx = contextOf(cmd);
        if (rawPoint === undefined) throw usageError('give the recovery point first: lifeboat restore <point> --target key=value …');
        const point = idArg(rawPoint, 'recovery point');
        const target = parseTarget(opts.target, (p) => ctx.readText(p));
        const timeout = timeoutMs(opts.timeout);
        if (opts.mode !== undefined && !opts.mode.trim()) throw usageError('--mode is empty');
        const body = {
          target,
          ...(opts.mode !== undefined ? { mode: opts.mode.trim() } : {}),
          ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
          ...(opts.confirm !== undefined ? { confirm: opts.confirm } : {}),
        };
        const { request, run } = await ctx.client.post(`/recovery-points/${point}/restores`, RestoreAnswer, body);
        await reportRequest(ctx, request, { wait: opts.wait, timeout, queued: run ?? undefined });
      },
    );

  const requests = program.command('requests').description('restore requests and their approvals');

  requests
    .command('list')
    .description('list restore requests, newest first')
    .option('--status <status>', `only these: ${STATUSES.join(', ').toLowerCase()}`)
    .option('--pending', 'only those waiting for approval (--status pending_approval)')
    .option('--mine', 'only those you (the token’s owner) requested')
    .option('--limit <n>', 'at most this many (1–500, default 100)')
    .action(async (opts: { status?: string; pending?: boolean; mine?: boolean; limit?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const status = opts.pending ? 'PENDING_APPROVAL' : opts.status?.trim().toUpperCase();
      if (status !== undefined && !STATUSES.includes(status)) throw usageError(`--status must be one of ${STATUSES.join(', ').toLowerCase()}, not "${shown(opts.status ?? '', 30)}"`);
      if (opts.limit !== undefined && !/^\d+$/.test(opts.limit.trim())) throw usageError(`--limit must be a whole number, not "${shown(opts.limit, 20)}"`);
      const answer = await ctx.client.get('/restore-requests', itemsOf(RestoreRequest), {
        status,
        mine: opts.mine ? 'true' : undefined,
        limit: opts.limit?.trim(),
      });
      ctx.answer(answer, () =>
        answer.items.length === 0
          ? 'no restore requests'
          : table(
              ['ID', 'STATUS', 'SOURCE', 'MODE', 'APPROVALS', 'REQUESTED BY', 'CREATED', 'EXPIRES'],
              answer.items.map((r) => [
                r.id,
                r.status,
                shown(r.sourceName ?? '-', 30),
                r.mode + (r.destructive ? ' (destructive)' : ''),
                `${r.approvals.length}/${r.requiredApprovals}`,
                shown(r.requester?.email ?? '-', 40),
                time(r.createdAt),
                OPEN.includes(r.status) ? `in ${duration(secondsBetween(new Date().toISOString(), r.expiresAt))}` : '-',
              ]),
            ),
      );
    });

  requests
    .command('show')
    .description('show a restore request')
    .argument('<request>', 'restore request id')
    .action(async (rawId: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const request = await ctx.client.get(`/restore-requests/${idArg(rawId, 'restore request')}`, RestoreRequest);
      ctx.answer(request, () => requestDetails(request));
    });

  /** approve and reject: `--comment` (or `--reason`, the same) goes with the decision. */
  const decision = (verb: 'approve' | 'reject', description: string) =>
    requests
      .command(verb)
      .description(description)
      .argument('<request>', 'restore request id')
      .option('--comment <text>', 'a comment kept with the decision')
      .option('--reason <text>', 'the same as --comment');

  const decide = async (verb: 'approve' | 'reject', cmd: Command, rawId: string, opts: { comment?: string; reason?: string; timeout?: string }) => {
    const ctx = contextOf(cmd);
    const id = idArg(rawId, 'restore request');
    if (opts.comment !== undefined && opts.reason !== undefined) throw usageError('give --comment or --reason, not both');
    const timeout = timeoutMs(opts.timeout);
    const comment = opts.comment ?? opts.reason;
    const request = await ctx.client.post(`/restore-requests/${id}/${verb}`, RestoreRequest, comment !== undefined ? { comment } : {});
    return { ctx, request, timeout };
  };

  decision('approve', 'approve a restore request (the approval that satisfies its rule starts the restore)')
    .option('--wait', 'when this approval starts the restore: follow the run to its end (exit 1 if it fails)')
    .option('--timeout <seconds>', 'with --wait: stop following after this long (exit 1; the run goes on)')
    .action(async (rawId: string, opts: { comment?: string; reason?: string; wait?: boolean; timeout?: string }, cmd: Command) => {
      const { ctx, request, timeout } = await decide('approve', cmd, rawId, opts);
      if (request.status === 'PENDING_APPROVAL') {
        ctx.answer({ request, run: null }, () => `approved restore request ${request.id}; it still waits: ${approvalState(request)}`);
        return;
      }
      await reportRequest(ctx, request, { wait: opts.wait, timeout });
    });

  decision('reject', 'reject a restore request (it ends and never runs)').action(
    async (rawId: string, opts: { comment?: string; reason?: string }, cmd: Command) => {
      const { ctx, request } = await decide('reject', cmd, rawId, opts);
      ctx.answer(request, () => `rejected restore request ${request.id}: it will not run`);
    },
  );

  requests
    .command('execute')
    .description('start an approved request whose restore could not start when it was approved')
    .argument('<request>', 'restore request id')
    .option('--wait', 'follow the run to its end (exit 1 if it fails)')
    .option('--timeout <seconds>', 'with --wait: stop following after this long (exit 1; the run goes on)')
    .action(async (rawId: string, opts: { wait?: boolean; timeout?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const id = idArg(rawId, 'restore request');
      const timeout = timeoutMs(opts.timeout);
      const request = await ctx.client.post(`/restore-requests/${id}/execute`, RestoreRequest);
      await reportRequest(ctx, request, { wait: opts.wait, timeout });
    });

  requests
    .command('cancel')
    .description('cancel your open restore request (admins: anyone’s)')
    .argument('<request>', 'restore request id')
    .action(async (rawId: string, _opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const request = await ctx.client.post(`/restore-requests/${idArg(rawId, 'restore request')}/cancel`, RestoreRequest);
      ctx.answer(request, () => `cancelled restore request ${request.id}`);
    });
}
