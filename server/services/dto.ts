import type { Service, Tier } from '@/server/shared/generated/prisma/client';

/** The public shape of a tier: the recovery objectives its services are held to. */
export function toTierDto(tier: Tier & { _count?: { services: number } }) {
  return {
    id: tier.id,
    name: tier.name,
    rpoSeconds: tier.rpoSeconds,
    rtoSeconds: tier.rtoSeconds,
    /** Approvals a restore of the tier's sources needs (server/approvals). */
    restoreApprovals: tier.restoreApprovals,
    description: tier.description,
    serviceCount: tier._count?.services,
    createdAt: tier.createdAt.toISOString(),
    updatedAt: tier.updatedAt.toISOString(),
  };
}
export type TierDto = ReturnType<typeof toTierDto>;

/** What every service read loads: its tier and the ids of its sources (by name, as the sources list orders them). */
export const SERVICE_DTO_INCLUDE = {
  tier: true,
  sources: { select: { id: true }, orderBy: { name: 'asc' } },
} as const;

/** The public shape of a service: its tier's objectives inline, and the sources it groups. */
export function toServiceDto(service: Service & { tier: Tier | null; sources: Array<{ id: string }> }) {
  return {
    id: service.id,
    name: service.name,
    tierId: service.tierId,
    tier: service.tier
      ? {
          id: service.tier.id,
          name: service.tier.name,
          rpoSeconds: service.tier.rpoSeconds,
          rtoSeconds: service.tier.rtoSeconds,
          restoreApprovals: service.tier.restoreApprovals,
        }
      : null,
    description: service.description,
    contact: service.contact,
    sourceIds: service.sources.map((s) => s.id),
    sourceCount: service.sources.length,
    createdAt: service.createdAt.toISOString(),
    updatedAt: service.updatedAt.toISOString(),
  };
}
export type ServiceDto = ReturnType<typeof toServiceDto>;
