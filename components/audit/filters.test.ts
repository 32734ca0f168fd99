import { describe, expect, it } from 'vitest';
import { cursorAt, EMPTY_FILTER, exportHref, filterParams, isFiltered, listPath, localToIso } from './filters';

describe('audit filters', () => {
  it('sends only what is set, trimmed, under the API names', () => {
    expect(filterParams(EMPTY_FILTER).toString()).toBe('');
    expect(isFiltered({ ...EMPTY_FILTER, actor: '  ' })).toBe(false);
    const q = filterParams({ ...EMPTY_FILTER, actor: ' ops@example.com ', action: 'restore.request', targetType: 'run', targetId: 'abc' });
    expect(Object.fromEntries(q)).toEqual({ actor: 'ops@example.com', action: 'restore.request', targetType: 'run', targetId: 'abc' });
  });

  it('takes a time range to the minute, the end of the "to" minute included', () => {
    const from = localToIso('2026-03-01T10:15', 'start')!;
    const to = localToIso('2026-03-01T10:15', 'end')!;
    expect(Date.parse(to) - Date.parse(from)).toBe(59_999);
    expect(new Date(from).getMinutes()).toBe(15);
    expect(localToIso('', 'start')).toBeNull();
    expect(localToIso('not a date', 'end')).toBeNull();
    expect(filterParams({ ...EMPTY_FILTER, from: '2026-03-01T10:15' }).get('from')).toBe(from);
  });

  it('builds the export and list paths with the same filters', () => {
    const f = { ...EMPTY_FILTER, action: 'run.finish', actor: 'a, b&c' };
    expect(exportHref(f, 'csv')).toBe('/api/v1/audit/export?actor=a%2C+b%26c&action=run.finish&format=csv');
    expect(listPath(f, '120', 51)).toBe('/audit?actor=a%2C+b%26c&action=run.finish&limit=51&before=120');
    expect(listPath(EMPTY_FILTER, null, 51)).toBe('/audit?limit=51');
  });

  it('shows an event first by paging from just past it, past 2^53 too', () => {
    expect(cursorAt('41')).toBe('42');
    expect(cursorAt('9007199254740993')).toBe('9007199254740994');
  });
});
