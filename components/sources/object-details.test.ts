import { describe, expect, it } from 'vitest';
import { describeObjectDetails, pointObjectViews } from './object-details';

describe('describeObjectDetails', () => {
  it('words databases, tables with row counts, Redis keys per database and file names', () => {
    expect(describeObjectDetails({ database: 'orders', tables: [{ name: 'customers', rows: 3000 }, { name: 'orders', rows: 1 }] })).toEqual([
      'database orders',
      '2 tables: customers 3,000 rows, orders 1 row',
    ]);
    expect(describeObjectDetails({ tables: { a: 10, b: 20 } })).toEqual(['2 tables: a 10 rows, b 20 rows']);
    expect(describeObjectDetails({ keys: { 0: 1234, 3: { keys: 2 } } })).toEqual(['db0 1,234 keys, db3 2 keys']);
    expect(describeObjectDetails({ keyspace: [{ db: 1, keys: 5 }] })).toEqual(['db1 5 keys']);
    expect(describeObjectDetails({ keys: 1 })).toEqual(['1 key']);
    expect(describeObjectDetails({ keys: { db0: 12 }, usedMemory: 1_500_000 })).toEqual(['db0 12 keys', '1.5 MB in memory']);
    expect(describeObjectDetails({ file: 'etcd.db' })).toEqual(['file etcd.db']);
    expect(describeObjectDetails({ files: ['a.yaml', { name: 'b.yaml', size: 3 }] })).toEqual(['2 files: a.yaml, b.yaml']);
    expect(describeObjectDetails({ databases: ['a', 'b'] })).toEqual(['databases a, b']);
  });

  it('stays compact: five items, then a count; three other plain values; nothing nested it does not know', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `t${i}`, rows: i }));
    expect(describeObjectDetails({ tables: many })).toEqual(['12 tables: t0 0 rows, t1 1 row, t2 2 rows, t3 3 rows, t4 4 rows (+7 more)']);
    expect(describeObjectDetails({ a: 'x', b: 2000, c: true, d: 'y', nested: { deep: 1 } })).toEqual(['a x', 'b 2,000', 'c true']);
    expect(describeObjectDetails({ database: 'x'.repeat(100) })[0]).toHaveLength('database '.length + 60);
    expect(describeObjectDetails({})).toEqual([]);
  });
});

describe('pointObjectViews', () => {
  it("reads the answer's objects, or the point's single data object without them", () => {
    expect(pointObjectViews({ sizeBytes: 42 })).toEqual([{ role: 'data', size: 42, details: {} }]);
    expect(pointObjectViews({ sizeBytes: 42, objects: [] })).toEqual([{ role: 'data', size: 42, details: {} }]);
    expect(
      pointObjectViews({ sizeBytes: 42, objects: [{ role: 'db.orders', size: 40, sha256: 'x', details: { database: 'orders' } }, { role: 'globals', sizeBytes: 2 }, { nope: 1 }] }),
    ).toEqual([
      { role: 'db.orders', size: 40, details: { database: 'orders' } },
      { role: 'globals', size: 2, details: {} },
    ]);
  });
});
