import { Counter, Gauge, Registry } from 'prom-client';
import { evaluateSource } from '@/server/slo/evaluate-source';
import { METRICS, QUEUE_STATES, type MetricDefinition, type MetricKey, type SourceLabel } from './definitions';
import type { MetricFacts } from './load-metric-facts';

/** `storage_class` of an object never moved by a retention tier: the destination's own class, as uploaded. */
export const DEFAULT_STORAGE_CLASS = 'default';

export interface RenderedMetrics {
  contentType: string;
  text: string;
}

/**
 * The Prometheus text exposition of `facts` at `now`. A new private registry each time (never prom-client's global
 * one, never state kept between scrapes): a deleted source's series go with it, and every web process renders the
 * same catalog into the same figures. Counters are set to the catalog's counts (a fresh counter incremented once).
 * Gauges without evidence are left out (no backup yet: no `backup_age_seconds`) rather than exported as 0, which
 * would read as "just backed up"; counters are exported for every source, 0 included, so `increase()` sees the
 * first run.
 */
export async function renderMetrics(facts: MetricFacts, now: Date): Promise<RenderedMetrics> {
  const registry = new Registry();
  const metric = makeMetrics(registry);
  const tierName = new Map(facts.slo.tiers.map((t) => [t.id, t.name]));

  for (const s of facts.slo.sources) {
    const run = facts.sources.get(s.sourceId);
    if (!run) continue; // a source created between the two reads: next scrape
    const labels: Record<SourceLabel, string> = {
      source: s.name,
      kind: run.kind,
      service: s.serviceName ?? '',
      tier: (s.tierId && tierName.get(s.tierId)) || '',
    };
    const slo = evaluateSource(s, facts.slo.installation, now);

    const last = run.lastBackup;
    if (last) {
      metric.gauge('backupAge').set(labels, Math.max(0, (now.getTime() - last.finishedAt.getTime()) / 1000));
      metric.gauge('backupDuration').set(labels, last.durationSeconds);
      if (last.storedBytes !== null) metric.gauge('backupSize').set(labels, last.storedBytes);
    }
    if (last || run.lastFailureAt) {
      const succeeded = !!last && (!run.lastFailureAt || last.finishedAt >= run.lastFailureAt);
      metric.gauge('backupStatus').set(labels, succeeded ? 1 : 0);
    }
    metric.counter('backupSuccess').inc(labels, run.runs.backupSucceeded);
    metric.counter('backupFailed').inc(labels, run.runs.backupFailed);
    metric.counter('verifySuccess').inc(labels, run.runs.verifySucceeded);
    metric.counter('verifyFailed').inc(labels, run.runs.verifyFailed);
    metric.counter('testSuccess').inc(labels, run.runs.restoreSucceeded);
    metric.counter('testFailed').inc(labels, run.runs.restoreFailed);
    metric.counter('missedSlots').inc(labels, run.missedSlots);

    if (slo.rpo.achievedSeconds !== null) metric.gauge('rpoAchieved').set(labels, slo.rpo.achievedSeconds);
    if (slo.rpo.targetSeconds !== null) metric.gauge('rpoTarget').set(labels, slo.rpo.targetSeconds);
    if (slo.rto.achievedSeconds !== null) metric.gauge('rtoAchieved').set(labels, slo.rto.achievedSeconds);
    if (slo.rto.targetSeconds !== null) metric.gauge('rtoTarget').set(labels, slo.rto.targetSeconds);
  }

  if (facts.queue) for (const state of QUEUE_STATES) metric.gauge('queueJobs').set({ state }, facts.queue[state]);
  metric.gauge('copiesPending').set(facts.copies.pending);
  metric.gauge('copiesFailed').set(facts.copies.failed);
  for (const s of facts.storage) {
    metric.gauge('storage').inc({ destination: s.destination, storage_class: s.storageClass ?? DEFAULT_STORAGE_CLASS }, s.bytes);
  }
  // Registered only once a check is on record: a label-less gauge would otherwise read 0, "broken".
  if (facts.auditChainOk !== null) metric.gauge('auditChainOk').set(facts.auditChainOk ? 1 : 0);

  return { contentType: registry.contentType, text: await registry.metrics() };
}

/** The metrics of one registry, created on first use from their definitions (so each is registered at most once). */
function makeMetrics(registry: Registry) {
  const made = new Map<MetricKey, Gauge | Counter>();
  const get = <T extends Gauge | Counter>(key: MetricKey, make: (d: MetricDefinition) => T): T => {
    let m = made.get(key);
    if (!m) made.set(key, (m = make(METRICS[key])));
    return m as T;
  };
  const config = (d: MetricDefinition) => ({ name: d.name, help: d.help, labelNames: [...d.labelNames], registers: [registry] });
  // Every metric is declared in the exposition (HELP and TYPE), even with no series yet, so a scrape always shows
  // the whole set; the label-less audit gauge is the exception (see above).
  for (const key of Object.keys(METRICS) as MetricKey[]) {
    if (key === 'auditChainOk') continue;
    const d = METRICS[key];
    if (d.type === 'counter') get(key, (x) => new Counter(config(x)));
    else get(key, (x) => new Gauge(config(x)));
  }
  return {
    gauge: (key: MetricKey) => get<Gauge>(key, (d) => new Gauge(config(d))),
    counter: (key: MetricKey) => get<Counter>(key, (d) => new Counter(config(d))),
  };
}
