import { getDestinationKind, isDestinationKind } from '@/server/storage/destination-kinds';
import type { Destination } from '@/server/shared/generated/prisma/client';

/** The secret settings a row holds sealed: its kind's (S3's credentials are given together or not at all). */
function sealedKeysOf(d: Destination): string[] {
  if (d.secrets === null || !isDestinationKind(d.kind)) return [];
  return [...getDestinationKind(d.kind).secretKeys];
}

/**
 * A destination as the API shows it: never its sealed secrets, only which secret settings it holds (`secretKeys`
 * as given on creation, else the kind's).
 */
export function toDestinationDto(d: Destination, secretKeys: string[] = sealedKeysOf(d)) {
  return {
    id: d.id,
    name: d.name,
    kind: d.kind,
    /** The kind as people call it (`S3`, `local disk`), so screens need not know the kinds. */
    kindLabel: isDestinationKind(d.kind) ? getDestinationKind(d.kind).label : d.kind,
    config: d.config,
    hasSecrets: d.secrets !== null,
    secretKeys,
    offsite: d.offsite,
    immutable: d.immutable,
    isDefault: d.isDefault,
    createdAt: d.createdAt.toISOString(),
  };
}
export type DestinationDto = ReturnType<typeof toDestinationDto>;
