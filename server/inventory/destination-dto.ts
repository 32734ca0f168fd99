import type { Destination } from '@/server/shared/generated/prisma/client';

/** A destination as the API shows it: never its sealed secrets, only which secret settings it holds. */
export function toDestinationDto(d: Destination, secretKeys: string[] = []) {
  return {
    id: d.id,
    name: d.name,
    kind: d.kind,
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
