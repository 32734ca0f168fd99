import path from 'node:path';
import { z } from 'zod';
import type { StorageDriver } from './driver';
import { createLocalDiskDriver } from './local-disk';

/** Settings of a local-disk destination: an absolute directory on the worker's machine. */
export const LocalDestinationConfig = z.object({
  path: z.string().min(1).refine((p) => path.isAbsolute(p), 'path must be absolute'),
});

/** Builds the storage driver for a destination row's kind and config. */
export function driverForDestination(destination: { kind: string; config: unknown }): StorageDriver {
  switch (destination.kind) {
    case 'local': {
      const cfg = LocalDestinationConfig.parse(destination.config);
      return createLocalDiskDriver({ root: cfg.path });
    }
    default:
      throw new Error(`unsupported destination kind: ${destination.kind}`);
  }
}
