import { toPolicyDto, type PolicyWithDestinations } from '@/server/policies/policy-dto';
import type { Source } from '@/server/shared/generated/prisma/client';

/** The public shape of a source. Secrets never leave the server; `hasPassword` says whether one is stored. */
export function toSourceDto(
  source: Source & {
    _count?: { recoveryPoints: number };
    lastRun?: { id: string; status: string; finishedAt: Date | null; kind: string } | null;
    /** Loaded by `getSource` only (the detail page shows the policy's retention): null when the source has none. */
    policy?: PolicyWithDestinations | null;
  },
) {
  return {
    id: source.id,
    name: source.name,
    kind: source.kind,
    config: source.config as Record<string, unknown>,
    hasPassword: source.secrets !== null,
    policyId: source.policyId,
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
