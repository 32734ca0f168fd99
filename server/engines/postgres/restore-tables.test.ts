import { describe, expect, it } from 'vitest';

import { parseTocListing, selectTocEntries, tableEntryMatches, useListText } from './restore-tables';

// `pg_restore --list --verbose` of a small schema (PostgreSQL 15): a (serial) with a view and a comment, b (identity)
// with an index, a trigger and a foreign key to a, and c in schema "Odd Schema" with a name holding spaces.
const LISTING = `;
; Archive created at 2026-12-02 14:32:36 UTC
;     dbname: pglog_scratch1
;     TOC Entries: 22
;
; Selected TOC Entries:
;
3365; 0 0 ENCODING - ENCODING 
3366; 0 0 STDSTRINGS - STDSTRINGS 
3367; 0 0 SEARCHPATH - SEARCHPATH 
3368; 1262 32286 DATABASE - pglog_scratch1 postgres
6; 2615 2200 SCHEMA - Odd Schema postgres
219; 1255 32315 FUNCTION public f() postgres
215; 1259 32288 TABLE public a postgres
3369; 0 0 COMMENT public TABLE a postgres
;	depends on: 215
214; 1259 32287 SEQUENCE public a_id_seq postgres
;	depends on: 215
3370; 0 0 SEQUENCE OWNED BY public a_id_seq postgres
;	depends on: 214
217; 1259 32297 TABLE public b postgres
216; 1259 32296 SEQUENCE public b_id_seq postgres
;	depends on: 217
220; 1259 32320 TABLE Odd Schema c d e postgres
;	depends on: 6
218; 1259 32311 VIEW public v postgres
;	depends on: 215 215
3207; 2604 32291 DEFAULT public a id postgres
;	depends on: 215 214 215
3360; 0 32288 TABLE DATA public a postgres
;	depends on: 215
3362; 0 32297 TABLE DATA public b postgres
;	depends on: 217
3363; 0 32320 TABLE DATA Odd Schema c d e postgres
;	depends on: 220
3371; 0 0 SEQUENCE SET public a_id_seq postgres
;	depends on: 214
3372; 0 0 SEQUENCE SET public b_id_seq postgres
;	depends on: 216
3210; 2606 32295 CONSTRAINT public a a_pkey postgres
;	depends on: 215
3212; 2606 32304 CONSTRAINT public b b_pkey postgres
;	depends on: 217
3213; 1259 32310 INDEX public b_w postgres
;	depends on: 217
3215; 2620 32316 TRIGGER public b t postgres
;	depends on: 217 219
3214; 2606 32305 FK CONSTRAINT public b b_a_id_fkey postgres
;	depends on: 217 3210 215
`;

const entries = parseTocListing(LISTING);
const byId = (id: number) => entries.find((e) => e.id === id)!;
const kept = (tables: string[]) => [...selectTocEntries(entries, tables).keep].sort((x, y) => x - y);

describe('restoring some tables: choosing TOC entries', () => {
  it('parses entries, multi-word kinds and dependencies', () => {
    expect(entries).toHaveLength(25);
    expect(byId(3360)).toMatchObject({ desc: 'TABLE DATA', rest: 'public a postgres', deps: [215] });
    expect(byId(3214)).toMatchObject({ desc: 'FK CONSTRAINT', deps: [217, 3210, 215] });
    expect(byId(3370).desc).toBe('SEQUENCE OWNED BY');
    expect(byId(3365).desc).toBe('ENCODING');
  });

  it('matches a table by name or schema.name, names with spaces included', () => {
    expect(tableEntryMatches(byId(215), 'a')).toBe(true);
    expect(tableEntryMatches(byId(215), 'public.a')).toBe(true);
    expect(tableEntryMatches(byId(215), 'other.a')).toBe(false);
    expect(tableEntryMatches(byId(3360), 'a')).toBe(false); // TABLE DATA is not the table
    expect(tableEntryMatches(byId(220), 'c d e')).toBe(true);
    expect(tableEntryMatches(byId(220), 'Odd Schema.c d e')).toBe(true);
  });

  it('a table comes with its rows, comment, sequence, default, key and views over it alone', () => {
    expect(kept(['a'])).toEqual([214, 215, 218, 3207, 3210, 3360, 3365, 3366, 3367, 3369, 3370, 3371]);
  });

  it('leaves out a foreign key to a table not restored, and pulls in the functions a trigger needs', () => {
    const onlyB = kept(['public.b']);
    expect(onlyB).toEqual(expect.arrayContaining([216, 217, 219, 3212, 3213, 3215, 3362, 3372]));
    expect(onlyB).not.toContain(3214); // b → a foreign key: a's rows are not there
    expect(onlyB).not.toContain(215);
    expect(onlyB).not.toContain(3368); // never the DATABASE entry
    // Both: the foreign key is restored too.
    expect(kept(['a', 'b'])).toContain(3214);
  });

  it('pulls in the schema of a table in a schema of its own, and reports names that match nothing', () => {
    expect(kept(['c d e'])).toEqual(expect.arrayContaining([6, 220, 3363]));
    expect(selectTocEntries(entries, ['a', 'nope', 'public.c d e']).missing).toEqual(['nope', 'public.c d e']);
  });

  it('writes the kept lines, in the archive’s order, for --use-list', () => {
    const text = useListText(entries, selectTocEntries(entries, ['a']).keep);
    const ids = text.trim().split('\n').map((line) => Number(line.split(';')[0]));
    expect(ids).toEqual([3365, 3366, 3367, 215, 3369, 214, 3370, 218, 3207, 3360, 3371, 3210]);
  });
});
