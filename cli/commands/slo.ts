import type { Command } from 'commander';
import type { ContextOf } from '../context';
import { duration, shown, table, time } from '../format';
import { Slo } from '../schemas';

const pct = (c: number | null) => (c === null ? '-' : `${Math.round(c * 100)}%`);
const against = (achieved: number | null, target: number | null) => `${duration(achieved)} / ${target === null ? '-' : duration(target)}`;

/** `slo`: RPO/RTO compliance per tier and service and each source's figures, from `GET /slo` (evidence only). */
export function registerSlo(program: Command, contextOf: ContextOf): void {
  program
    .command('slo')
    .description('RPO/RTO compliance per tier, service and source (achieved against target, from evidence)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const slo = await ctx.client.get('/slo', Slo);
      const tierName = new Map(slo.tiers.map((t) => [t.id, t.name]));
      ctx.answer(slo, () => {
        const out: string[] = [];
        out.push(
          'TIERS',
          table(
            ['TIER', 'RPO TARGET', 'RTO TARGET', 'COMPLIANT', ''],
            slo.tiers.map((t) => [shown(t.name, 40), duration(t.rpoSeconds), duration(t.rtoSeconds), `${t.compliant} of ${t.sources}`, pct(t.compliance)]),
          ),
        );
        if (slo.services.length) {
          out.push(
            '',
            'SERVICES',
            table(
              ['SERVICE', 'TIER', 'COMPLIANT', ''],
              slo.services.map((s) => [shown(s.name, 40), s.tierId ? shown(tierName.get(s.tierId) ?? s.tierId, 40) : '-', `${s.compliant} of ${s.sources}`, pct(s.compliance)]),
            ),
          );
        }
        out.push('', 'SOURCES');
        if (!slo.sources.length) out.push('no sources yet');
        else {
          out.push(
            table(
              ['SOURCE', 'STATUS', 'RPO (achieved / target)', 'RTO (achieved / target)', 'MISSED 24H', 'NEXT RUN'],
              slo.sources.map((s) => [
                shown(s.name, 40),
                s.status,
                against(s.rpo.achievedSeconds, s.rpo.targetSeconds),
                s.rto.achievedSeconds === null && s.rto.estimated
                  ? `~${duration(s.rto.estimatedSeconds)} (estimate) / ${s.rto.targetSeconds === null ? '-' : duration(s.rto.targetSeconds)}`
                  : against(s.rto.achievedSeconds, s.rto.targetSeconds),
                String(s.missedSlots24h),
                time(s.nextRunAt),
              ]),
            ),
          );
          const reasons = slo.sources.filter((s) => s.status !== 'OK' && s.reasons.length);
          if (reasons.length) {
            out.push('', 'WHY');
            for (const s of reasons) out.push(`${shown(s.name, 40)} (${s.status}): ${s.reasons.map((r) => shown(r, 300)).join('; ')}`);
          }
        }
        return out.join('\n');
      });
    });
}
