import { authorize } from '@/server/auth/permissions';
import type { Tx } from '@/server/shared/db';
import { readerOf, type VerbContext } from '@/server/shared/context';
import { summarizeCompliance } from './compliance';
import { evaluateSource, type SourceSlo } from './evaluate-source';
import { loadSloFacts } from './load-slo-facts';

/**
 * `GET /api/v1/slo`: every source's achieved RPO and RTO against its tier's targets, with a status and the reasons
 * for it, and compliance per tier and per service. Read-only; computed from the catalog at `now` on every call.
 */
export async function getSlo(ctx: VerbContext, now = new Date()) {
  authorize(ctx.actor, 'inventory:read');
  const facts = await loadSloFacts(readerOf(ctx), now);
  const sources = facts.sources.map((s) => evaluateSource(s, facts.installation, now));
  return { ...summarizeCompliance(facts.tiers, facts.services, sources), sources };
}
export type SloDto = Awaited<ReturnType<typeof getSlo>>;

/** One source's SLO object, as in `getSlo` (for `GET /api/v1/sources/{id}`); the caller has authorized. */
export async function sourceSlo(reader: Tx, sourceId: string, now = new Date()): Promise<SourceSlo | null> {
  const facts = await loadSloFacts(reader, now, { sourceIds: [sourceId] });
  const source = facts.sources[0];
  return source ? evaluateSource(source, facts.installation, now) : null;
}
