import { authorize } from '@/server/auth/permissions';
import type { VerbContext } from '@/server/shared/context';
import { db } from '@/server/shared/db';
import { DomainError } from '@/server/shared/errors';
import { loadMetricFacts, type MetricFacts } from './load-metric-facts';
import { renderMetrics, type RenderedMetrics } from './render-metrics';

// Facts are read at most once per 5 s per web process: several Prometheus servers (HA pairs) and a short scrape
// interval then cost one set of catalog queries, and the figures are at most 5 s old (scrape intervals are 15 s and
// more). Time-dependent figures (ages, achieved RPO) are computed at each scrape from the cached timestamps.
export const METRICS_CACHE_MS = 5_000;

let cached: { at: number; facts: Promise<MetricFacts> } | null = null;

/**
 * `GET /metrics`: the catalog as Prometheus metrics (definitions.ts). Any role may read them (`metrics:read`); the
 * figures are the same for every caller, so they are read from the pool, not `ctx.tx`, and shared through the cache.
 * Concurrent scrapes wait for the same read; a failed read is not cached.
 */
export async function getMetrics(ctx: VerbContext, now = new Date()): Promise<RenderedMetrics> {
  if (!ctx.actor) throw new DomainError('UNAUTHENTICATED', 'Send an API token: Authorization: Bearer <token>');
  authorize(ctx.actor, 'metrics:read');
  let entry = cached;
  // A clock that went back (or a test's `now` in the past) reads again rather than serving facts from "the future".
  if (!entry || now.getTime() - entry.at >= METRICS_CACHE_MS || now.getTime() < entry.at) {
    const fresh = { at: now.getTime(), facts: loadMetricFacts(db(), now) };
    fresh.facts.catch(() => {
      if (cached === fresh) cached = null;
    });
    cached = entry = fresh;
  }
  return renderMetrics(await entry.facts, now);
}

/** Forgets the cached facts, so the next scrape reads the catalog (tests). */
export function clearMetricsCache(): void {
  cached = null;
}
