import type { Policy } from '@/server/shared/generated/prisma/client';

export function toPolicyDto(p: Policy & { copies: { destinationId: string; position: number }[] }) {
  return {
    id: p.id,
    name: p.name,
    destinationId: p.destinationId,
    copyDestinationIds: [...p.copies].sort((a, b) => a.position - b.position).map((c) => c.destinationId),
    compressionLevel: p.compressionLevel,
    encrypt: p.encrypt,
    retention: p.retention,
    createdAt: p.createdAt.toISOString(),
  };
}
export type PolicyDto = ReturnType<typeof toPolicyDto>;
