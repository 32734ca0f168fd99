import { describe, expect, it } from 'vitest';
import { nothingReadableMessage, readableObjects, type ReadablePoint } from './readable-objects';

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
