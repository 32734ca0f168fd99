import { describe, expect, it } from 'vitest';

import { tablePatternCondition, tablePatternRegex } from './table-patterns';

describe('pg_dump table patterns as SQL regexes (patternToSQLRegex)', () => {
  it('folds unquoted letters, keeps quoted ones, and splits schema from name on unquoted dots', () => {
    expect(tablePatternRegex('Users')).toEqual({ name: '^(users)$', anySchema: false, dots: 0 });
    expect(tablePatternRegex('"Users"')).toEqual({ name: '^(Users)$', anySchema: false, dots: 0 });
    expect(tablePatternRegex('public.orders')).toEqual({ schema: '^(public)$', name: '^(orders)$', anySchema: false, dots: 1 });
    expect(tablePatternRegex('"a.b"')).toEqual({ name: '^(a\\.b)$', anySchema: false, dots: 0 });
    expect(tablePatternRegex('db.s.t')).toEqual({ schema: '^(s)$', name: '^(t)$', anySchema: false, dots: 2 });
  });

  it('turns * and ? into wildcards outside quotes and keeps every other character literal inside them', () => {
    expect(tablePatternRegex('audit_*').name).toBe('^(audit_.*)$');
    expect(tablePatternRegex('t?').name).toBe('^(t.)$');
    expect(tablePatternRegex('*.items')).toEqual({ name: '^(items)$', anySchema: true, dots: 1 });
    expect(tablePatternRegex('s.*')).toEqual({ schema: '^(s)$', anySchema: false, dots: 1 });
    expect(tablePatternRegex('"Weird Table; drop"').name).toBe('^(Weird Table; drop)$');
    expect(tablePatternRegex('"a+b(c)*"').name).toBe('^(a\\+b\\(c\\)\\*)$');
    expect(tablePatternRegex('"say ""hi"""').name).toBe('^(say "hi")$');
    // `$` is always literal; `[]` too (an array type name, not a bracket expression).
    expect(tablePatternRegex('price$').name).toBe('^(price\\$)$');
    expect(tablePatternRegex('int[]').name).toBe('^(int\\[])$');
    // A leading dash is just a character.
    expect(tablePatternRegex('-lead').name).toBe('^(-lead)$');
  });

  it('builds one parameterised condition, with visibility when no schema is given', () => {
    const { sql, params } = tablePatternCondition(['public.a*', 'b', '*.c'], 3, 150020);
    expect(params).toEqual(['^(a.*)$', '^(public)$', '^(b)$', '^(c)$']);
    expect(sql).toBe(
      '((c.relname OPERATOR(pg_catalog.~) $3 COLLATE pg_catalog.default AND n.nspname OPERATOR(pg_catalog.~) $4 COLLATE pg_catalog.default)' +
        ' OR (c.relname OPERATOR(pg_catalog.~) $5 COLLATE pg_catalog.default AND pg_catalog.pg_table_is_visible(c.oid))' +
        ' OR (c.relname OPERATOR(pg_catalog.~) $6 COLLATE pg_catalog.default))',
    );
    expect(tablePatternCondition(['x'], 1, 110000).sql).not.toContain('COLLATE');
  });
});
