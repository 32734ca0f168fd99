import type { Policy } from '@/server/shared/generated/prisma/client';

export function toPolicyDto(p: Policy & { copies: { destinationId: string; position: number; retention: unknown }[] }) {
  const copies = [...p.copies].sort((a, b) => a.position - b.position);
  return {
    id: p.id,
    name: p.name,
    destinationId: p.destinationId,
    copyDestinationIds: copies.map((c) => c.destinationId),
    /** Each copy destination in restore order, with its own retention (null: the copies follow their point). */
    copies: copies.map((c) => ({ destinationId: c.destinationId, position: c.position, retention: c.retention ?? null })),
    compressionLevel: p.compressionLevel,
    encrypt: p.encrypt,
    retention: p.retention,
    createdAt: p.createdAt.toISOString(),
  };
}
export type PolicyDto = ReturnType<typeof toPolicyDto>;
