import type { EncryptionKey } from '@/server/shared/generated/prisma/client';

/** The public face of an encryption key: never the identity. */
export function toKeyDto(k: EncryptionKey & { _count?: { recoveryPoints: number } }) {
  return {
    id: k.id,
    name: k.name,
    recipient: k.recipient,
    active: k.active,
    readable: k.sealedIdentity !== null,
    createdAt: k.createdAt.toISOString(),
    retiredAt: k.retiredAt?.toISOString() ?? null,
    shreddedAt: k.shreddedAt?.toISOString() ?? null,
    recoveryPointCount: k._count?.recoveryPoints,
  };
}
export type KeyDto = ReturnType<typeof toKeyDto>;
