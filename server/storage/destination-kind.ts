import type { z } from 'zod';
import type { RetentionMode, StorageDriver } from './driver';

/** What a kind's placement rules may know about the deployment (never the database). */
export interface PlacementContext {
  /** `LIFEBOAT_DATA_DIR`, resolved: Lifeboat's own files (keys, services) live there. */
  dataDir: string;
  /** Where a path really leads (symbolic links followed); injectable so the rules can be tested without a disk. */
  realpath?: (p: string) => string;
}

/** A refused setting: `path` is inside the kind's config, e.g. `['path']` or `['bucket']`. */
export interface ConfigIssue {
  path: string[];
  message: string;
}

/**
 * Everything Lifeboat knows about one kind of destination. Adding a kind is one file exporting one of these and
 * one line in `destination-kinds.ts`; nothing else names a kind.
 *
 * `Config` is the schema's output. The registry hands kinds out as `AnyDestinationKind`: its methods take any
 * config (method syntax makes parameters bivariant), which is safe because callers pass only what `configSchema`
 * returned.
 */
export interface DestinationKind<Config> {
  /** What people call it in lists, e.g. `local disk`. */
  readonly label: string;
  /**
   * Settings of a destination row, secrets included once opened. Parsed when a destination is created (what it
   * returns is what is stored) and whenever a driver is built, so a row that no longer parses never gets a driver.
   */
  readonly configSchema: z.ZodType<Config, unknown>;
  /** Settings that are secret: sealed into `Destination.secrets`, never stored in `config`, returned or audited. */
  readonly secretKeys: readonly string[];
  /**
   * Settings that say where the stored objects are (a local path, an S3 bucket and prefix). An edit may not change
   * them while the destination holds points or copies: the catalog would point at objects that are not there, and
   * the old ones would be orphaned, never pruned.
   */
  readonly locationKeys: readonly string[];
  /**
   * Where the destination may point, checked only when a person creates (or changes) one: rules that need the
   * deployment (its data directory, the real disk) and so do not belong in the schema. Empty = accepted.
   */
  placementIssues?(config: Config, ctx: PlacementContext): ConfigIssue[];
  createDriver(config: Config): StorageDriver;
  /** The Object Lock mode retention locks are mirrored with, or null when they stay in the catalog only. */
  objectLockMode?(config: Config): RetentionMode | null;
}

export type AnyDestinationKind = DestinationKind<unknown>;
