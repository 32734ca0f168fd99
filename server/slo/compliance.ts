import { isCompliant, type SourceSlo } from './evaluate-source';

export interface TierFacts {
  id: string;
  name: string;
  rpoSeconds: number;
  rtoSeconds: number;
}

export interface ServiceFacts {
  id: string;
  name: string;
  tierId: string | null;
}

/** `compliant / sources`, or null for a group with no sources (nothing to be compliant with). */
export interface Compliance {
  sources: number;
  compliant: number;
  compliance: number | null;
}

function complianceOf(slos: SourceSlo[]): Compliance {
  const compliant = slos.filter(isCompliant).length;
  return { sources: slos.length, compliant, compliance: slos.length ? compliant / slos.length : null };
}

/** Compliance per tier and per service: the share of their sources within both targets (pure). */
export function summarizeCompliance(tiers: TierFacts[], services: ServiceFacts[], sources: SourceSlo[]) {
  const byTier = groupBy(sources, (s) => s.tierId);
  const byService = groupBy(sources, (s) => s.serviceId);
  return {
    tiers: tiers.map((t) => ({
      id: t.id,
      name: t.name,
      rpoSeconds: t.rpoSeconds,
      rtoSeconds: t.rtoSeconds,
      ...complianceOf(byTier.get(t.id) ?? []),
    })),
    services: services.map((s) => ({
      id: s.id,
      name: s.name,
      tierId: s.tierId,
      ...complianceOf(byService.get(s.id) ?? []),
    })),
  };
}

function groupBy(slos: SourceSlo[], key: (s: SourceSlo) => string | null): Map<string, SourceSlo[]> {
  const groups = new Map<string, SourceSlo[]>();
  for (const slo of slos) {
    const k = key(slo);
    if (k === null) continue;
    const group = groups.get(k);
    if (group) group.push(slo);
    else groups.set(k, [slo]);
  }
  return groups;
}
