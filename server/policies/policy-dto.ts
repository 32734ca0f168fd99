import type { RetentionPolicy } from '@/server/retention/retention-policy';
import type { Policy } from '@/server/shared/generated/prisma/client';

/** What `toPolicyDto` needs: the policy with its primary destination's name and its copies with theirs. */
export type PolicyWithDestinations = Policy & {
  destination: { name: string };
  copies: { destinationId: string; position: number; retention: unknown; destination: { name: string } }[];
};

/** The Prisma `include` that loads a policy as `toPolicyDto` needs it. */
export const POLICY_DTO_INCLUDE = {
  destination: { select: { name: true } },
  copies: { include: { destination: { select: { name: true } } } },
} as const;

export function toPolicyDto(p: PolicyWithDestinations) {
  const copies = [...p.copies].sort((a, b) => a.position - b.position);
  return {
    id: p.id,
    name: p.name,
    destinationId: p.destinationId,
    destinationName: p.destination.name,
    copyDestinationIds: copies.map((c) => c.destinationId),
    /** Each copy destination in restore order, with its own retention (null: the copies follow their point). */
    copies: copies.map((c) => ({
      destinationId: c.destinationId,
      destinationName: c.destination.name,
      position: c.position,
      // Stored as parsed by createPolicy / setPolicyCopyRetention (time zone filled in), never as typed by a client.
      retention: (c.retention ?? null) as RetentionPolicy | null,
    })),
    compressionLevel: p.compressionLevel,
    encrypt: p.encrypt,
    /** Stored as parsed by createPolicy / setPolicyRetention; null keeps everything. */
    retention: p.retention as RetentionPolicy | null,
    createdAt: p.createdAt.toISOString(),
  };
}
export type PolicyDto = ReturnType<typeof toPolicyDto>;
