import { describe, expect, it } from 'vitest';
import type { EngineFormField } from '@/components/api/types';
import { fillTemplate, initialValues, rowsOf, valuesToJson } from './engine-form';

const fields: EngineFormField[] = [
  { name: 'host', label: 'Host', type: 'text', required: true, row: 'a' },
  { name: 'port', label: 'Port', type: 'number', default: 5432, row: 'a' },
  { name: 'note', label: 'Note', type: 'text' },
  { name: 'password', label: 'Password', type: 'password' },
  { name: 'mode', label: 'Mode', type: 'select', options: [{ value: 'x', label: 'x' }] },
  { name: 'flag', label: 'Flag', type: 'checkbox' },
];

describe('engine-declared forms', () => {
  it('starts from the defaults', () => {
    expect(initialValues(fields)).toEqual({ host: '', port: '5432', note: '', password: '', mode: '', flag: false });
  });

  it('sends required text even when empty, leaves empty optional inputs out, keeps a bad number as typed', () => {
    expect(valuesToJson(fields, { host: ' db ', port: '', note: '', password: '', mode: '', flag: false })).toEqual({ host: 'db', flag: false });
    expect(valuesToJson(fields, { host: '', port: '54x', note: 'n', password: ' p ', mode: 'x', flag: true })).toEqual({
      host: '',
      port: '54x',
      note: 'n',
      password: ' p ',
      mode: 'x',
      flag: true,
    });
    expect(valuesToJson(fields, { host: 'h', port: ' 6543 ' })).toMatchObject({ port: 6543 });
  });

  it('fills a restore template within maxLength, shortening the config value', () => {
    const now = new Date('2025-01-01T12:00:00Z');
    expect(fillTemplate('{config.database}_restore_{now}', { database: 'orders' }, now, 63)).toBe('orders_restore_20250101_1200');
    const long = fillTemplate('{config.database}_restore_{now}', { database: 'x'.repeat(80) }, now, 63);
    expect(long).toHaveLength(63);
    expect(long.endsWith('_restore_20250101_1200')).toBe(true);
  });

  it('groups fields that share a row', () => {
    expect(rowsOf(fields).map((r) => r.map((f) => f.name))).toEqual([['host', 'port'], ['note'], ['password'], ['mode'], ['flag']]);
  });
});
