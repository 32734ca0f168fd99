import { describe, expect, it } from 'vitest';
import { nothingReadableMessage, objectName, objectsAt, readableObjects, storedKeysAt, type ReadablePoint } from './readable-objects';

const dest = (name: string) => ({ id: `dest-${name}`, name });
const copy = (id: string, status: string, position: number, name = id) => ({ id, status, position, location: 'sources/s/k.age', destination: dest(name) });

function point(over: Partial<ReadablePoint<ReturnType<typeof dest>>> = {}): ReadablePoint<ReturnType<typeof dest>> {
  return { primaryDeletedAt: null, location: 'sources/s/k.age', destination: dest('primary'), copies: [], ...over };
}

const summary = (p: ReadablePoint<ReturnType<typeof dest>>) => readableObjects(p).map((o) => `${o.role}:${o.destination.name}`);

describe('readableObjects', () => {
  it('is the primary alone when there are no copies', () => {
    expect(readableObjects(point())).toEqual([
      { role: 'primary', label: 'primary destination "primary"', destination: dest('primary'), location: 'sources/s/k.age', copyId: null },
    ]);
  });

  it('puts the primary first, then OK copies by position, whatever order the rows came in', () => {
    const p = point({ copies: [copy('c3', 'COPY_OK', 3), copy('c1', 'COPY_OK', 1), copy('c2', 'COPY_OK', 2)] });
    expect(summary(p)).toEqual(['primary:primary', 'copy:c1', 'copy:c2', 'copy:c3']);
    expect(readableObjects(p)[1]).toMatchObject({ label: 'copy on destination "c1"', copyId: 'c1' });
  });

  it('orders copies with the same position by id, so the order is stable', () => {
    expect(summary(point({ copies: [copy('b', 'COPY_OK', 0), copy('a', 'COPY_OK', 0)] }))).toEqual(['primary:primary', 'copy:a', 'copy:b']);
  });

  it('never offers a pending or failed copy', () => {
    const p = point({ copies: [copy('pending', 'COPY_PENDING', 0), copy('failed', 'COPY_FAILED', 1), copy('ok', 'COPY_OK', 2)] });
    expect(summary(p)).toEqual(['primary:primary', 'copy:ok']);
  });

  it('skips a primary pruned by retention', () => {
    const p = point({ primaryDeletedAt: new Date('2026-01-01T00:00:00Z'), copies: [copy('ok', 'COPY_OK', 1)] });
    expect(summary(p)).toEqual(['copy:ok']);
  });

  it('is empty when the primary was pruned and no copy is OK, with a message saying why', () => {
    const p = { id: 'p1', ...point({ primaryDeletedAt: new Date('2026-01-01T00:00:00Z'), copies: [copy('f', 'COPY_FAILED', 0)] }) };
    expect(readableObjects(p)).toEqual([]);
    expect(nothingReadableMessage(p, 'copy from')).toBe(
      'recovery point p1 has no object left to copy from: its primary was pruned by retention on 2026-01-01T00:00:00.000Z and it has no other OK copy',
    );
  });

  it('does not reorder the caller\'s array', () => {
    const copies = [copy('c2', 'COPY_OK', 2), copy('c1', 'COPY_OK', 1)];
    readableObjects(point({ copies }));
    expect(copies.map((c) => c.id)).toEqual(['c2', 'c1']);
  });
});

describe('objectsAt / storedKeysAt: every object of a point on each place that holds it', () => {
  const folder = 'sources/s/2026/12/02/r/';
  const row = (role: string, position: number, file: string) => ({
    role,
    position,
    key: `${folder}${file}`,
    sizeBytes: BigInt(10 + position),
    sha256: `sha-${role}`,
    codec: 'zstd+age',
    rawBytes: null,
    rawSha256: null,
    details: { n: position },
  });
  const point = {
    location: `${folder}db.a.pgdump.zst.age`,
    sizeBytes: 10n,
    sha256: 'sha-db.a',
    codec: 'zstd+age',
    rawBytes: null,
    rawSha256: null,
    // Out of order on purpose: position decides.
    objects: [row('globals', 2, 'globals.sql.zst.age'), row('db.a', 0, 'db.a.pgdump.zst.age'), row('db.b', 1, 'db.b.pgdump.zst.age')],
  };

  it('lists every object in position order, with the same keys on the primary and on a copy', () => {
    expect(objectsAt(point, { role: 'primary' }).map((o) => [o.role, o.location, o.sha256])).toEqual([
      ['db.a', `${folder}db.a.pgdump.zst.age`, 'sha-db.a'],
      ['db.b', `${folder}db.b.pgdump.zst.age`, 'sha-db.b'],
      ['globals', `${folder}globals.sql.zst.age`, 'sha-globals'],
    ]);
    expect(objectsAt(point, { role: 'copy', location: point.location }).map((o) => o.location)).toEqual(objectsAt(point, { role: 'primary' }).map((o) => o.location));
  });

  it('names every object and the manifest once as the keys a point occupies', () => {
    expect(storedKeysAt(point, { role: 'primary' })).toEqual([
      `${folder}db.a.pgdump.zst.age`,
      `${folder}db.b.pgdump.zst.age`,
      `${folder}globals.sql.zst.age`,
      `${folder}manifest.json`,
    ]);
  });

  it('reads a point without object rows as its one data object', () => {
    const single = { ...point, location: `${folder}data.pgdump.zst.age`, objects: [] };
    expect(storedKeysAt(single, { role: 'primary' })).toEqual([`${folder}data.pgdump.zst.age`, `${folder}manifest.json`]);
    expect(objectsAt(single, { role: 'primary' })).toMatchObject([{ role: 'data', location: `${folder}data.pgdump.zst.age`, sizeBytes: 10n }]);
  });

  it('keeps a key that is not a run folder\'s without inventing a manifest for it', () => {
    expect(storedKeysAt({ ...point, location: 'elsewhere/x.age', objects: [] }, { role: 'primary' })).toEqual(['elsewhere/x.age']);
  });

  it('names an object by role and file', () => {
    expect(objectName(point.objects[0]!)).toBe('object "globals" (globals.sql.zst.age)');
  });
});
