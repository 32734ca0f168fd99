import { describe, expect, it } from 'vitest';
import { z, ZodError } from 'zod';
import { assertCleanInput, hasControlChars, MAX_INPUT_DEPTH, noControlChars } from './text';

const paths = (fn: () => void): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ZodError) return e.issues.map((i) => i.path.join('.'));
    throw e;
  }
  return [];
};

describe('hasControlChars', () => {
  it('flags C0 (but tab, LF, CR), DEL, C1 and lone surrogates', () => {
    for (const ch of ['\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\u000e', '\u001b', '\u001f', '\u007f', '\u0080', '\u0085', '\u009f']) {
      expect(hasControlChars(`a${ch}b`), JSON.stringify(ch)).toBe(true);
    }
    expect(hasControlChars('a\uD800b')).toBe(true);
    expect(hasControlChars('a\uDC00')).toBe(true);
  });

  it('lets ordinary text through: tab, newlines, accents, emoji, CJK', () => {
    for (const s of ['', 'plain', 'tab\there', 'line\nbreak\r\n', 'Ærøskøbing  ', 'backup 🛟', '备份', '\u00a0nbsp', 'a\u00a0']) {
      expect(hasControlChars(s), JSON.stringify(s)).toBe(false);
    }
  });
});

describe('noControlChars', () => {
  it('plugs into a domain schema', () => {
    const Name = z.string().refine(...noControlChars);
    expect(Name.safeParse('ok').success).toBe(true);
    const bad = Name.safeParse('n\u0000');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toBe('must not contain control characters');
  });
});

describe('assertCleanInput', () => {
  it('accepts clean values of every JSON shape', () => {
    expect(paths(() => assertCleanInput({ a: 'x', b: [1, 'y', { c: null, d: true }], e: 2.5 }, 'body'))).toEqual([]);
    expect(paths(() => assertCleanInput('text', 'body'))).toEqual([]);
    expect(paths(() => assertCleanInput(null, 'body'))).toEqual([]);
  });

  it('names every offending field under its root, at any depth', () => {
    const value = { name: 'n\u0000', config: { path: '/x', prefix: 'a\u0000b' }, list: ['ok', 'b\u007f'], deep: [{ r: '\u0085' }] };
    expect(paths(() => assertCleanInput(value, 'body'))).toEqual(['body.name', 'body.config.prefix', 'body.list.1', 'body.deep.0.r']);
    expect(paths(() => assertCleanInput({ targetId: '\u0000' }, 'query'))).toEqual(['query.targetId']);
    expect(paths(() => assertCleanInput('\u0000', 'body'))).toEqual(['body']);
  });

  it('refuses control characters in keys and shows the key bounded and cleaned', () => {
    const key = `k\u0000${'x'.repeat(100)}`;
    const [p] = paths(() => assertCleanInput({ [key]: 'v' }, 'body'));
    expect(p).toBe(`body.k?${'x'.repeat(38)}…`);
  });

  it('throws a ZodError with the message the edge shows', () => {
    expect(() => assertCleanInput({ name: '\u0000' }, 'body')).toThrow(/control characters/);
  });
});

describe('assertCleanInput: nesting', () => {
  // Found by server/http/hostile-sweep.int.test.ts: `{"a":{"a":…}}` 20 000 levels deep (120 KB) overflowed the
  // recursive walk's stack, a 500 on every route that takes a body.
  it('refuses values nested deeper than MAX_INPUT_DEPTH with a 422-shaped issue, without overflowing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = { a: deep };
    const [p, ...rest] = paths(() => assertCleanInput(deep, 'body'));
    expect(rest).toEqual([]);
    expect(p).toBe(['body', ...Array(MAX_INPUT_DEPTH).fill('a')].join('.'));
    let list: unknown = [];
    for (let i = 0; i < 50_000; i++) list = [list];
    expect(paths(() => assertCleanInput(list, 'body'))).toHaveLength(1);
  });

  it('accepts MAX_INPUT_DEPTH levels', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < MAX_INPUT_DEPTH; i++) deep = { a: deep };
    expect(paths(() => assertCleanInput(deep, 'body'))).toEqual([]);
  });
});
