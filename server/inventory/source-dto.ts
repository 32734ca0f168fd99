import type { Source } from '@/server/shared/generated/prisma/client';

/** The public shape of a source. Secrets never leave the server; `hasPassword` says whether one is stored. */
export function toSourceDto(
  source: Source & { _count?: { recoveryPoints: number }; lastRun?: { id: string; status: string; finishedAt: Date | null; kind: string } | null },
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
  };
}
export type SourceDto = ReturnType<typeof toSourceDto>;
