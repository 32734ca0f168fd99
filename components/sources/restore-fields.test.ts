import { describe, expect, it } from 'vitest';
import type { EngineFormField, EngineInfo } from '@/components/api/types';
import { valuesToJson } from './engine-form';
import { dialogDefaults, fieldsForPoint, fieldsInMode, pointChoices, targetDefaults, withChange } from './restore-fields';

type Mode = EngineInfo['restoreModes'][number];

// As PostgreSQL and Redis declare them (server/engines/restore-forms.test.ts checks the definitions themselves).
const postgresForm: EngineFormField[] = [
  { name: 'database', label: 'New database name', type: 'text', required: true, maxLength: 63, default: '{config.database}_restore_{now}' },
  { name: 'from', label: 'Database of the backup', type: 'select', optionsFrom: { objectDetail: 'database' } },
  { name: 'tables', label: 'Only these tables', type: 'text' },
];
const postgresModes: Mode[] = [
  { mode: 'new', label: 'New', destructive: false, help: 'h', fields: ['database', 'from', 'tables'] },
  { mode: 'in-place', label: 'In place', destructive: true, help: 'h', confirmationField: 'database', fields: ['database', 'from'] },
];
const redisForm: EngineFormField[] = [
  { name: 'ttlSeconds', label: 'Lifetime', type: 'number', default: 3600 },
  { name: 'host', label: 'Target host', type: 'text', row: 'server' },
  { name: 'port', label: 'Target port', type: 'number', row: 'server' },
  { name: 'tls', label: 'TLS', type: 'checkbox', default: false },
  { name: 'username', label: 'User', type: 'text' },
  { name: 'password', label: 'Password', type: 'password' },
];
const replay = ['host', 'port', 'tls', 'username', 'password'];
const redisModes: Mode[] = [
  { mode: 'scratch', label: 'Scratch', destructive: false, help: 'h', fields: ['ttlSeconds'] },
  { mode: 'replay', label: 'Replay', destructive: false, help: 'h', fields: replay },
  { mode: 'replay-replace', label: 'Replace', destructive: true, help: 'h', confirmationTemplate: '{host}:{port|6379}', fields: replay },
];
const modeOf = (modes: Mode[], mode: string) => modes.find((m) => m.mode === mode)!;

const object = (role: string, details: Record<string, unknown>) => ({ role, size: 10, sha256: 'x', details });
/** A point of a source with `globals` and three databases, as objects.ts names their objects. */
const multi = {
  sizeBytes: 30,
  objects: [
    object('globals', { globals: true, rolePasswords: false }),
    object('db.orders', { database: 'orders', contents: 'all' }),
    object('db-1', { database: 'Billing Archive', contents: 'all' }),
    object('db.audit', { database: 'audit', contents: 'all' }),
  ],
};
const from = postgresForm.find((f) => f.name === 'from')!;

describe('restore form fields for a point', () => {
  it("offers a point's databases as the choices of `from`, in the point's order, the globals left out", () => {
    expect(pointChoices(from, multi)).toEqual([
      { value: 'orders', label: 'orders' },
      { value: 'Billing Archive', label: 'Billing Archive' },
      { value: 'audit', label: 'audit' },
    ]);
    // Repeated values once; objects without the key, or with a non-string value, offer nothing.
    expect(pointChoices(from, { sizeBytes: 1, objects: [object('a', { database: 'x' }), object('b', { database: 'x' }), object('c', { database: 3 })] })).toEqual([
      { value: 'x', label: 'x' },
    ]);
    expect(pointChoices({}, multi)).toEqual([]);
  });

  it('shows `from` as a required select only for a point of several databases, the first preselected', () => {
    const fields = fieldsForPoint(postgresForm, multi);
    const picker = fields.find((f) => f.name === 'from');
    expect(picker).toMatchObject({ type: 'select', required: true, options: [{ value: 'orders' }, { value: 'Billing Archive' }, { value: 'audit' }] });
    const values = targetDefaults(fields, { database: 'orders' }, new Date('2025-01-01T12:00:00Z'));
    expect(values).toMatchObject({ database: 'orders_restore_20250101_1200', from: 'orders', tables: '' });
    expect(valuesToJson(fields, values)).toEqual({ database: 'orders_restore_20250101_1200', from: 'orders' });
  });

  it('leaves `from` out for a point of one database (with or without its globals) and a classic point', () => {
    const one = { sizeBytes: 20, objects: [multi.objects[0], multi.objects[1]] };
    for (const point of [one, { sizeBytes: 5, objects: [object('data', { database: 'orders' })] }, { sizeBytes: 5 }]) {
      const fields = fieldsForPoint(postgresForm, point);
      expect(fields.map((f) => f.name)).toEqual(['database', 'tables']);
      expect(valuesToJson(fields, { ...targetDefaults(fields, { database: 'orders' }, new Date()), from: 'orders' })).not.toHaveProperty('from');
    }
  });

  it('keeps the fields a mode names, in form order; a mode naming none keeps them all', () => {
    const fields: EngineFormField[] = [
      { name: 'a', label: 'A', type: 'text' },
      { name: 'b', label: 'B', type: 'text' },
      { name: 'c', label: 'C', type: 'checkbox' },
    ];
    expect(fieldsInMode(fields, { fields: ['c', 'a'] }).map((f) => f.name)).toEqual(['a', 'c']);
    expect(fieldsInMode(fields, { fields: [] })).toEqual([]);
    expect(fieldsInMode(fields, {}).map((f) => f.name)).toEqual(['a', 'b', 'c']);
    expect(fieldsInMode(fields, undefined)).toHaveLength(3);
  });

  it('asks a Redis scratch restore only its lifetime, and a replay only the server: hidden values are never sent', () => {
    const fields = fieldsForPoint(redisForm, { sizeBytes: 1 });
    const typed = { ...targetDefaults(fields, {}, new Date()), host: 'cache.internal', port: '6380', username: 'u', password: 'p', tls: true };
    const scratch = fieldsInMode(fields, modeOf(redisModes, 'scratch'));
    expect(scratch.map((f) => f.name)).toEqual(['ttlSeconds']);
    expect(valuesToJson(scratch, typed)).toEqual({ ttlSeconds: 3600 });
    for (const mode of ['replay', 'replay-replace']) {
      const replay = fieldsInMode(fields, modeOf(redisModes, mode));
      expect(replay.map((f) => f.name)).toEqual(['host', 'port', 'tls', 'username', 'password']);
      expect(valuesToJson(replay, typed)).toEqual({ host: 'cache.internal', port: 6380, tls: true, username: 'u', password: 'p' });
    }
  });

  it('drops the table list from a PostgreSQL in-place restore', () => {
    const fields = fieldsForPoint(postgresForm, multi);
    expect(fieldsInMode(fields, modeOf(postgresModes, 'new')).map((f) => f.name)).toEqual(['database', 'from', 'tables']);
    expect(fieldsInMode(fields, modeOf(postgresModes, 'in-place')).map((f) => f.name)).toEqual(['database', 'from']);
  });
});

describe('defaults that follow the chosen database', () => {
  const now = new Date('2026-12-02T20:29:00Z');
  // A source that connects to postgres and backs up every database ("*").
  const config = { database: 'postgres', databases: '*' };
  it('names the new database after the preselected database of the point, not the one the source connects to', () => {
    const fields = fieldsForPoint(postgresForm, multi);
    const values = dialogDefaults(fields, config, now);
    expect(values.from).toBe('orders');
    expect(values.database).toBe('orders_restore_20261202_2029');
  });
  it('renames it when another database is chosen, unless the person edited the name', () => {
    const fields = fieldsForPoint(postgresForm, multi);
    const start = dialogDefaults(fields, config, now);
    const picked = withChange(fields, config, start, new Set(), 'from', 'audit', now);
    expect([picked.from, picked.database]).toEqual(['audit', 'audit_restore_20261202_2029']);
    const edited = withChange(fields, config, { ...start, database: 'mine' }, new Set(['database']), 'from', 'audit', now);
    expect([edited.from, edited.database]).toEqual(['audit', 'mine']);
    // A change of any other field refills nothing.
    expect(withChange(fields, config, start, new Set(), 'tables', 'a', now)).toEqual({ ...start, tables: 'a' });
  });
});
