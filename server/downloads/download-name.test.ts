import { describe, expect, it } from 'vitest';
import { downloadFileName, rawExtension, safeNamePart } from './download-name';

describe('download file names', () => {
  it('takes the raw extension from the key, without the codec suffixes', () => {
    expect(rawExtension({ key: 'sources/s/2026/03/14/r/data.pgdump.zst.age', role: 'data', codec: 'zstd+age' })).toBe('pgdump');
    expect(rawExtension({ key: 'sources/s/2026/03/14/r/db.orders.pgdump.zst', role: 'db.orders', codec: 'zstd' })).toBe('pgdump');
    expect(rawExtension({ key: 'sources/s/2026/03/14/r/globals.sql.age', role: 'globals', codec: 'age' })).toBe('sql');
    expect(rawExtension({ key: 'sources/s/2026/03/14/r/data.rdb', role: 'data', codec: 'none' })).toBe('rdb');
  });

  it('falls back to the engine extension, then bin, for keys off the layout', () => {
    expect(rawExtension({ key: 'data', role: 'data', codec: 'none' }, 'pgdump')).toBe('pgdump');
    expect(rawExtension({ key: 'x/other-name.zst.age', role: 'data', codec: 'zstd+age' }, 'rdb')).toBe('rdb');
    expect(rawExtension({ key: 'data', role: 'data', codec: 'none' })).toBe('bin');
    expect(rawExtension({ key: 'data', role: 'data', codec: 'bogus' }, 'Not Safe"')).toBe('bin');
  });

  it('reduces every part to a safe alphabet', () => {
    expect(safeNamePart('orders db (EU)')).toBe('orders-db-EU');
    expect(safeNamePart('../../etc/passwd')).toBe('etc-passwd');
    expect(safeNamePart('"; rm -rf /')).toBe('rm-rf');
    expect(safeNamePart('Café Ünïcode')).toBe('Cafe-Unicode');
    expect(safeNamePart('日本')).toBe('source');
    expect(safeNamePart('.hidden')).toBe('hidden');
    expect(safeNamePart('a'.repeat(300))).toHaveLength(80);
  });

  it('names a download <source>-<date>-<role>.<ext>', () => {
    const createdAt = new Date('2026-03-14T02:03:41.907Z');
    expect(downloadFileName({ sourceName: 'orders', createdAt, role: 'data', extension: 'pgdump' })).toBe('orders-2026-03-14T0203Z-data.pgdump');
    expect(downloadFileName({ sourceName: 'sessions cache', createdAt, role: 'db.0', extension: 'rdb' })).toBe('sessions-cache-2026-03-14T0203Z-db.0.rdb');
    expect(downloadFileName({ sourceName: 'x', createdAt, role: 'data', extension: '../x' })).toBe('x-2026-03-14T0203Z-data.bin');
  });
});
