import { manifestKeyForDataKey } from '@/server/storage/layout';
import { copyObjectKey, pointObjects, type PointObject, type PointWithObjects } from './point-objects';

/**
 * Where the stored bytes of a recovery point may be read from, in order. The one rule for restore, verify and copy:
 *
 * 1. the primary object, unless retention pruned it (`primaryDeletedAt`);
 * 2. then each copy whose status is `COPY_OK` (its size and sha256 matched the point's when it was made), by its
 *    policy `position` (ties: by id, so the order never depends on how the rows were loaded).
 *
 * Every candidate holds the same bytes (same size and sha256 as the point), so a reader may move on to the next one
 * only while nothing it read has been used: a missing object, or one that fails its size/sha256 check, before any byte
 * was decoded, restored or stored as final. Pending and failed copies are never candidates.
 *
 * A candidate is a place that holds the point: EVERY object of it (`pointObjects`), under the keys `objectsAt` gives
 * (the same keys on every destination); `storedKeysAt` adds the manifest. Readers that check objects one by one may
 * take each object from the first candidate that holds it intact (copy and verify do).
 */
export interface ReadableObject<D> {
  role: 'primary' | 'copy';
  /** For logs and errors: `primary destination "name"` or `copy on destination "name"`. */
  label: string;
  destination: D;
  /** The object's key on that destination (a copy uses the same key as the primary). */
  location: string;
  /** The RecoveryPointCopy row, for a copy. */
  copyId: string | null;
}

export interface ReadablePoint<D extends { name: string }> {
  primaryDeletedAt: Date | null;
  location: string;
  destination: D;
  copies: ReadonlyArray<{ id: string; status: string; position: number; location: string; destination: D }>;
}

/** How logs, errors and the dashboard name one stored object of a point. */
export function objectLabel(role: 'primary' | 'copy', destinationName: string): string {
  return role === 'primary' ? `primary destination "${destinationName}"` : `copy on destination "${destinationName}"`;
}

export function readableObjects<D extends { name: string }>(point: ReadablePoint<D>): Array<ReadableObject<D>> {
  const primary: Array<ReadableObject<D>> =
    point.primaryDeletedAt === null
      ? [{ role: 'primary', label: objectLabel('primary', point.destination.name), destination: point.destination, location: point.location, copyId: null }]
      : [];
  const copies = point.copies
    .filter((c) => c.status === 'COPY_OK')
    .sort((a, b) => a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((c): ReadableObject<D> => ({ role: 'copy', label: objectLabel('copy', c.destination.name), destination: c.destination, location: c.location, copyId: c.id }));
  return [...primary, ...copies];
}

/** The error message of a reader (`purpose`: "restore from", "verify", "copy from") that `readableObjects` left empty. */
export function nothingReadableMessage(point: { id: string; primaryDeletedAt: Date | null }, purpose: string): string {
  return point.primaryDeletedAt === null
    ? `recovery point ${point.id} has no object left to ${purpose}`
    : `recovery point ${point.id} has no object left to ${purpose}: its primary was pruned by retention on ${point.primaryDeletedAt.toISOString()} and it has no other OK copy`;
}

/** One object of a point as stored on one destination (the primary, or a copy): where to read, lock, move or delete it. */
export interface StoredObjectAt extends PointObject {
  /** The object's key on that destination (the point's own key on the primary; `copyObjectKey` on a copy). */
  location: string;
}

/** Where a point's objects are stored: its primary destination, or a copy (whose `location` is its first object's key). */
export type ObjectHolder = { role: 'primary' } | { role: 'copy'; location: string };

/**
 * Every object of `point`, in order, as stored on `holder` (a `ReadableObject` is one). A point without object rows
 * is its one `data` object (`pointObjects`).
 */
export function objectsAt(point: PointWithObjects, holder: ObjectHolder): StoredObjectAt[] {
  return pointObjects(point).map((o) => ({ ...o, location: holder.role === 'primary' ? o.key : copyObjectKey(point, holder, o) }));
}

/**
 * Every key the point occupies on `holder`: each object's, then the manifest beside them (one per run folder; none
 * for a key that is not a run's object key). What a delete removes and an Object Lock protects.
 */
export function storedKeysAt(point: PointWithObjects, holder: ObjectHolder): string[] {
  const objects = objectsAt(point, holder).map((o) => o.location);
  const manifests = objects.map((k) => manifestKeyForDataKey(k)).filter((k): k is string => k !== null);
  return [...new Set([...objects, ...manifests])];
}

/** How logs and errors name one object of a multi-object point: `object "globals" (globals.sql.zst.age)`. */
export function objectName(object: { role: string; key: string }): string {
  return `object "${object.role}" (${object.key.slice(object.key.lastIndexOf('/') + 1)})`;
}
