import type { RetentionMode, StorageDriver } from './driver';
import { getDestinationKind, isDestinationKind } from './destination-kinds';
import { openSecret } from '@/server/shared/secrets';

/** The additional data a destination's sealed secrets are bound to, so a blob cannot move to another row. */
export const destinationSecretContext = (id: string): string => `destination:${id}`;

/** The Object Lock mode of a destination row, or null when its retention locks are catalog-only. */
export function objectLockModeOf(destination: { kind: string; config: unknown }): RetentionMode | null {
  if (!isDestinationKind(destination.kind)) return null;
  const kind = getDestinationKind(destination.kind);
  if (!kind.objectLockMode) return null;
  const parsed = kind.configSchema.safeParse(destination.config);
  return parsed.success ? kind.objectLockMode(parsed.data) : null;
}

/**
 * Builds the storage driver for a destination row through its kind. A row with sealed `secrets` (S3 credentials)
 * has them opened with the master key and merged into the config: only workers and the recovery-point delete
 * call this with such rows; nothing returns the opened values.
 */
export function driverForDestination(destination: { id?: string; kind: string; config: unknown; secrets?: string | null }): StorageDriver {
  const kind = getDestinationKind(destination.kind);
  let config = destination.config;
  if (destination.secrets) {
    if (!destination.id) throw new Error('a destination with sealed secrets needs its id to open them');
    const opened = openSecret<Record<string, unknown>>(destination.secrets, destinationSecretContext(destination.id));
    config = { ...(destination.config as Record<string, unknown>), ...opened };
  }
  return kind.createDriver(kind.configSchema.parse(config));
}
