/**
 * The stored objects of a recovery point, in order. Every reader of a point's bytes (restore, verify, copy,
 * retention, tier moves, Object Lock, download, the recovery kit) goes through `pointObjects`, so a point with one
 * object and a point with several are handled alike.
 *
 * A point holds one `RecoveryPointObject` row per object (manifest v3 `objects`). Its own columns (`location`,
 * `sizeBytes`, `sha256`, `codec`, `rawBytes`, `rawSha256`) describe the first object, as they did when a point
 * held exactly one; a point row written without object rows (older code paths, tests that insert points directly)
 * is read as one object, role `data`, described by those columns.
 */

/** The role of a single-object point's object. */
export const DATA_ROLE = 'data';

export interface PointObject {
  role: string;
  position: number;
  /** Storage key relative to the destination root; the same on every destination holding the point. */
  key: string;
  sizeBytes: bigint;
  sha256: string;
  codec: string;
  rawBytes: bigint | null;
  rawSha256: string | null;
  details: Record<string, unknown>;
}

interface ObjectRow {
  role: string;
  position: number;
  key: string;
  sizeBytes: bigint;
  sha256: string;
  codec: string;
  rawBytes: bigint | null;
  rawSha256: string | null;
  details: unknown;
}

export interface PointWithObjects {
  location: string;
  sizeBytes: bigint;
  sha256: string;
  codec: string;
  rawBytes: bigint | null;
  rawSha256: string | null;
  /** Load with `include: { objects: OBJECTS_IN_ORDER }`; absent or empty means the single object of the columns. */
  objects?: readonly ObjectRow[];
}

/** The Prisma include that loads a point's objects in order: `include: { objects: OBJECTS_IN_ORDER }`. */
export const OBJECTS_IN_ORDER = { orderBy: { position: 'asc' as const } };

export function pointObjects(point: PointWithObjects): PointObject[] {
  if (point.objects !== undefined && point.objects.length > 0) {
    return [...point.objects]
      .sort((a, b) => a.position - b.position)
      .map((o) => ({
        role: o.role,
        position: o.position,
        key: o.key,
        sizeBytes: o.sizeBytes,
        sha256: o.sha256,
        codec: o.codec,
        rawBytes: o.rawBytes,
        rawSha256: o.rawSha256,
        details: isRecord(o.details) ? o.details : {},
      }));
  }
  return [
    {
      role: DATA_ROLE,
      position: 0,
      key: point.location,
      sizeBytes: point.sizeBytes,
      sha256: point.sha256,
      codec: point.codec,
      rawBytes: point.rawBytes,
      rawSha256: point.rawSha256,
      details: {},
    },
  ];
}

/** The object of `point` with `role`, or undefined. */
export function pointObject(point: PointWithObjects, role: string): PointObject | undefined {
  return pointObjects(point).find((o) => o.role === role);
}

/**
 * A copy's key for one of its point's objects. A copy row's `location` is the key of the point's first object on
 * the copy's destination; today every destination uses the same keys, and this keeps that rule in one place.
 */
export function copyObjectKey(point: PointWithObjects, copy: { location: string }, object: PointObject): string {
  const first = pointObjects(point)[0]!;
  if (copy.location === first.key) return object.key;
  // A copy stored under another prefix (not written today): same file name under the copy's folder.
  const folder = copy.location.slice(0, copy.location.lastIndexOf('/') + 1);
  return `${folder}${object.key.slice(object.key.lastIndexOf('/') + 1)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
