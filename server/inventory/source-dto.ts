import { POLICY_DTO_INCLUDE, toPolicyDto, type PolicyWithDestinations } from '@/server/policies/policy-dto';
import type { Source } from '@/server/shared/generated/prisma/client';

/** The service a source belongs to, as every source read loads it (its name for lists and the detail page). */
export const SOURCE_SERVICE_SELECT = { select: { id: true, name: true } } as const;

/** What the detail reads (`getSource`, `updateSource`) load: counts, the policy with its destinations, the service, the last run. */
export const SOURCE_DTO_INCLUDE = {
  _count: { select: { recoveryPoints: true } },
  // The detail page summarises the policy's retention and each copy destination's.
  policy: { include: POLICY_DTO_INCLUDE },
  service: SOURCE_SERVICE_SELECT,
  runs: { orderBy: { createdAt: 'desc' }, take: 1, select: { id: true, status: true, finishedAt: true, kind: true } },
} as const;

/** The public shape of a source. Secrets never leave the server; `hasPassword` says whether one is stored. */
export function toSourceDto(
  source: Source & {
    _count?: { recoveryPoints: number };
    lastRun?: { id: string; status: string; finishedAt: Date | null; kind: string } | null;
    /** Loaded by `getSource` only (the detail page shows the policy's retention): null when the source has none. */
    policy?: PolicyWithDestinations | null;
    /** The service it belongs to (`SOURCE_SERVICE_SELECT`); null when it belongs to none. */
    service?: { id: string; name: string } | null;
  },
) {
  return {
    id: source.id,
    name: source.name,
    kind: source.kind,
    config: source.config as Record<string, unknown>,
    hasPassword: source.secrets !== null,
    policyId: source.policyId,
    serviceId: source.serviceId,
    service: source.service ? { id: source.service.id, name: source.service.name } : null,
    createdAt: source.createdAt.toISOString(),
    updatedAt: source.updatedAt.toISOString(),
    recoveryPointCount: source._count?.recoveryPoints,
    lastRun: source.lastRun
      ? { ...source.lastRun, finishedAt: source.lastRun.finishedAt?.toISOString() ?? null }
      : undefined,
    policy: source.policy === undefined ? undefined : source.policy && toPolicyDto(source.policy),
  };
}
export type SourceDto = ReturnType<typeof toSourceDto>;
