import type { Command } from 'commander';
import type { ContextOf } from '../context';
import { EXIT } from '../errors';
import { shown } from '../format';
import { AuditReport } from '../schemas';

/**
 * `audit verify`: the server recomputes the hash chain and checks the newest anchor on the destinations
 * (`GET /audit/verify`, audit:read). The same report as `npm run lifeboat -- audit-verify` on the server, which reads
 * the catalog directly; this one needs only a URL and a token. Exit 1 when the chain or the anchor does not verify.
 */
export function registerAudit(program: Command, contextOf: ContextOf): void {
  const audit = program.command('audit').description('the tamper-evident audit trail');
  audit
    .command('verify')
    .description('verify the audit hash chain and its newest anchor (exit 1 if broken)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const report = await ctx.client.get('/audit/verify', AuditReport);
      const a = report.anchor;
      const anchor =
        a.ok === null
          ? `anchor: ${shown(a.detail, 300)}`
          : `anchor on ${shown(a.destination ?? '?', 80)} (#${a.sequence ?? '?'}): ${a.ok ? 'ok' : 'FAILED'}: ${shown(a.detail, 300)}`;
      if (ctx.json) ctx.answer(report, () => '');
      else {
        if (report.firstBad) {
          ctx.tell(`lifeboat: audit chain BROKEN at event #${report.firstBad.id} (${report.firstBad.problem}): ${shown(report.firstBad.detail, 300)}; ${report.checked} events verified before it`);
        } else ctx.say(`audit chain intact: ${report.checked} events`);
        if (a.ok === false) ctx.tell(`lifeboat: ${anchor}`);
        else ctx.say(anchor);
        for (const u of a.unreadable) ctx.tell(`lifeboat: anchor not read from ${shown(u.destination, 80)}: ${shown(u.error, 300)}`);
      }
      if (!report.ok) ctx.exitCode = EXIT.FAILED;
    });
}
