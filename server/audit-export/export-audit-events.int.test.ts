/**
 * The audit export against the real catalog: 100 000 events seeded with one INSERT … SELECT generate_series, then
 * exported as CSV, JSON and NDJSON through the verb the route calls, checking the header, the row count, quoting,
 * each filter, the refusals, and that the process's RSS stays flat while the whole set streams.
 *
 * Everything happens inside one transaction that is rolled back at the end: the audit table is append-only (no
 * DELETE), and 100 000 events with made-up hashes must not stay behind to break the chain that other tests verify.
 */
import crypto from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { errorResponse } from '@/server/http/errors';
import { db, disconnectDb, type Tx } from '@/server/shared/db';
import { EXPORT_COLUMNS, exportAuditEvents, type ExportedEvent } from './index';

const EVENTS = Number(process.env.LIFEBOAT_AUDIT_EXPORT_EVENTS ?? 100_000);
// Our buffers are one page (~1000 rows, well under 1 MB of text); the rest is V8 heap and allocator slack (+65-81 MB
// measured, more under CI load). 128 MB still catches an export that holds the set (100k events are ≥ 40 MB of CSV
// and several times that as row objects); the retained-heap check below is the sharper proof.
const MAX_RSS_GROWTH_BYTES = 128 * 1024 * 1024;
// Often enough to catch a short spike, rarely enough not to slow the export down.
const SAMPLE_EVERY_MS = 50;
// After a forced collection the heap holds a page or two at most; 20 MB is far below the 100k events' 30+ MB.
const MAX_RETAINED_BYTES = 20 * 1024 * 1024;
const MiB = 1024 * 1024;

const approver: Actor = { type: 'user', id: null, label: 'audit export test approver', role: 'APPROVER' };
const viewer: Actor = { type: 'user', id: null, label: 'audit export test viewer', role: 'VIEWER' };

const run = crypto.randomBytes(4).toString('hex');
const TARGET_TYPE = `export-test-${run}`;
const BASE = Date.UTC(2031, 0, 1);
// Every event i (1-based): at BASE + i s; action by i % 4; actor by i % 5 ("Ops-<i%5>@example.com", user u-<i%5>).
// One event whose label and details need every kind of CSV quoting, and one that would be a spreadsheet formula.
const TRICKY_LABEL = 'Doe, "Jane"\nsecond line';
const FORMULA_LABEL = '=HYPERLINK("http://evil.example")';

class Rollback extends Error {}

/** `gc()` without starting Node with --expose-gc (vitest starts the worker): the flag can be set at run time. */
function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Runs `fn` in a transaction that is always rolled back, after seeding the events in it. */
async function withSeededEvents(fn: (tx: Tx) => Promise<void>): Promise<void> {
  await db()
    .$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(
          `INSERT INTO "AuditEvent" ("at", "actorType", "actorId", "actorUserId", "actorLabel", "action", "targetType", "targetId",
                                     "details", "result", "requestId", "ip", "userAgent", "prevHash", "hash")
           SELECT to_timestamp($1::double precision + i) AT TIME ZONE 'UTC',
                  'user', 'u-' || (i % 5), 'u-' || (i % 5), 'Ops-' || (i % 5) || '@example.com',
                  (ARRAY['backup.request','restore.request','run.finish','source.update'])[i % 4 + 1],
                  $2, 'target-' || i,
                  jsonb_build_object('n', i, 'note', 'plain'),
                  CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'ok' END,
                  'req-' || i, '10.0.0.' || (i % 250), 'test-agent/1.0',
                  md5($3 || ':prev:' || i) || md5($3 || ':p2:' || i), md5($3 || ':' || i) || md5($3 || ':h2:' || i)
           FROM generate_series(1, $4::int) AS i`,
          BASE / 1000,
          TARGET_TYPE,
          run,
          EVENTS,
        );
        // Two events right after the series, for quoting.
        await tx.$executeRawUnsafe(
          `INSERT INTO "AuditEvent" ("at", "actorType", "actorLabel", "action", "targetType", "targetId", "details", "prevHash", "hash")
           VALUES (to_timestamp($1::double precision) AT TIME ZONE 'UTC', 'user', $2, 'source.update', $3, 'tricky', $4::jsonb, $5, $6),
                  (to_timestamp($1::double precision) AT TIME ZONE 'UTC', 'user', $7, 'source.update', $3, 'formula', '{}'::jsonb, $5, $8)`,
          BASE / 1000 + EVENTS + 1,
          TRICKY_LABEL,
          TARGET_TYPE,
          JSON.stringify({ reason: 'a, "quoted"\r\nreason' }),
          '0'.repeat(64),
          crypto.randomBytes(32).toString('hex'),
          FORMULA_LABEL,
          crypto.randomBytes(32).toString('hex'),
        );
        await fn(tx);
        throw new Rollback();
      },
      // The seed and five full or partial exports of 100k events on 2 shared cores: minutes, not seconds.
      { timeout: 600_000, maxWait: 30_000 },
    )
    .catch((e: unknown) => {
      if (!(e instanceof Rollback)) throw e;
    });
}

/** Reads a stream chunk by chunk, handing each to `onChunk` as text; keeps nothing itself. */
async function consume(stream: ReadableStream<Uint8Array>, onChunk: (text: string) => void): Promise<void> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onChunk(decoder.decode(value, { stream: true }));
  }
  const rest = decoder.decode();
  if (rest) onChunk(rest);
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  let all = '';
  await consume(stream, (t) => (all += t));
  return all;
}

/** A minimal RFC 4180 reader for the checks (the export writes with csv-stringify; this reads independently). */
function parseCsv(input: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && input[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || record.length > 0) records.push([...record, field]);
  return records;
}

/** What the HTTP edge would answer for a verb's failure. */
async function refusal(p: Promise<unknown>) {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e, 'the export should have been refused').not.toBeNull();
  const res = errorResponse(e);
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, ...body.error };
}

afterAll(async () => {
  await disconnectDb();
});

describe('audit export', () => {
  it(`streams ${EVENTS} events as CSV with flat RSS, filters them, and answers JSON and NDJSON`, { timeout: 600_000 }, async () => {
    await withSeededEvents(async (tx) => {
      const ctx = { actor: approver, tx };
      const total = EVENTS + 2;

      // Warm up with a fifth of the set (module loading, JIT, the connection, and V8 sizing its heap for paging
      // work, which any 1000-row query loop does once per process) so the baseline is the steady state. An export
      // that held what it streams would still grow by the other four fifths.
      await consume((await exportAuditEvents(ctx, { targetType: TARGET_TYPE, to: new Date(BASE + (EVENTS / 5) * 1000).toISOString() })).stream, () => {});

      // The whole seeded set as CSV, counted as it streams, in bytes (records end in CRLF): the check itself must not
      // make the garbage it measures.
      const gc = exposeGc();
      // RSS as the warmed-up process has it; the heap after a collection, to compare with what is left at the end.
      const baselineRss = process.memoryUsage().rss;
      gc();
      const baselineHeap = process.memoryUsage().heapUsed;
      let peak = baselineRss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), SAMPLE_EVERY_MS);
      const file = await exportAuditEvents(ctx, { format: 'csv', targetType: TARGET_TYPE }, { pageSize: Number(process.env.PS ?? 1000) });
      let head: Uint8Array | undefined;
      let previous: Uint8Array = new Uint8Array();
      let last: Uint8Array = new Uint8Array();
      let crlf = 0;
      let bytes = 0;
      let chunks = 0;
      let pendingCr = false;
      const started = performance.now();
      const reader = file.stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks++;
        bytes += value.length;
        head ??= value;
        for (let i = 0; i < value.length; i++) {
          if (value[i] === 10 && (i > 0 ? value[i - 1] === 13 : pendingCr)) crlf++;
        }
        pendingCr = value[value.length - 1] === 13;
        previous = last;
        last = value;
      }
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      const growth = peak - baselineRss;
      gc();
      const retained = process.memoryUsage().heapUsed - baselineHeap;
      console.log(
        `[audit-export] ${total} events → ${(bytes / MiB).toFixed(1)} MiB CSV in ${chunks} chunks, ${seconds.toFixed(1)} s; ` +
          `RSS baseline ${(baselineRss / MiB).toFixed(0)} MiB, peak +${(growth / MiB).toFixed(1)} MiB; heap retained after GC ${(retained / MiB).toFixed(1)} MiB`,
      );
      const decoder = new TextDecoder();
      const headText = decoder.decode(head!.subarray(0, 4000));
      // The last two rows (the tricky ones) are in the last page; the one before is kept in case a page edge split them.
      const tail = decoder.decode(previous.subarray(Math.max(0, previous.length - 4000))) + decoder.decode(last);
      expect(file.contentType).toBe('text/csv; charset=utf-8');
      expect(file.filename).toMatch(/^lifeboat-audit-\d{4}-\d{2}-\d{2}\.csv$/);
      expect(headText.startsWith(`${EXPORT_COLUMNS.join(',')}\r\n`)).toBe(true);
      // Header + one record per event (the tricky row's line breaks are a quoted LF and, in its JSON, an escaped \r\n).
      expect(crlf).toBe(1 + total);
      // Streamed, not built: one chunk a page (and more than a few), never the set in one piece.
      expect(chunks).toBeGreaterThan(total / 1000);
      expect(growth).toBeLessThan(MAX_RSS_GROWTH_BYTES);
      // And what stays after a collection is nothing like the set: the growth above was garbage, not a buffer.
      expect(retained).toBeLessThan(MAX_RETAINED_BYTES);

      // The first data row, and the last two (quoting) read back by an independent CSV reader.
      const [header, first] = parseCsv(headText.slice(0, headText.indexOf('\r\n', headText.indexOf('\r\n') + 2) + 2));
      const row = Object.fromEntries(header!.map((h, i) => [h, first![i]]));
      expect(row).toMatchObject({
        actorLabel: 'Ops-1@example.com',
        actorUserId: 'u-1',
        action: 'restore.request',
        targetType: TARGET_TYPE,
        targetId: 'target-1',
        result: 'ok',
        requestId: 'req-1',
        ip: '10.0.0.1',
        userAgent: 'test-agent/1.0',
        at: new Date(BASE + 1000).toISOString(),
      });
      expect(JSON.parse(row.details!)).toEqual({ n: 1, note: 'plain' });
      // From the first record boundary on, the tail holds whole records (no raw CRLF sits inside a field).
      const lastRows = parseCsv(tail.slice(tail.indexOf('\r\n') + 2));
      const byTarget = Object.fromEntries(lastRows.map((r) => [r[EXPORT_COLUMNS.indexOf('targetId')], r]));
      expect(byTarget.tricky?.[EXPORT_COLUMNS.indexOf('actorLabel')]).toBe(TRICKY_LABEL);
      expect(JSON.parse(byTarget.tricky![EXPORT_COLUMNS.indexOf('details')]!)).toEqual({ reason: 'a, "quoted"\r\nreason' });
      expect(tail).toContain('"Doe, ""Jane""\nsecond line"');
      // A formula is written as text for spreadsheets.
      expect(byTarget.formula?.[EXPORT_COLUMNS.indexOf('actorLabel')]).toBe(`'${FORMULA_LABEL}`);

      // Filters, as JSON: action (every fourth event; i % 4 = 1 is restore.request), from/to inclusive.
      const restores = JSON.parse(
        await text((await exportAuditEvents(ctx, { format: 'json', targetType: TARGET_TYPE, action: 'restore.request' })).stream),
      ) as ExportedEvent[];
      expect(restores).toHaveLength(Math.floor((EVENTS - 1) / 4) + 1);
      expect(restores.every((e) => e.action === 'restore.request')).toBe(true);
      expect(restores.map((e) => BigInt(e.id))).toEqual([...restores.map((e) => BigInt(e.id))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

      const window = JSON.parse(
        await text(
          (
            await exportAuditEvents(ctx, {
              format: 'json',
              targetType: TARGET_TYPE,
              from: new Date(BASE + 5_000).toISOString(),
              to: new Date(BASE + 2_504_000).toISOString(),
            })
          ).stream,
        ),
      ) as ExportedEvent[];
      expect(window.map((e) => e.targetId)).toEqual(Array.from({ length: 2500 }, (_, k) => `target-${k + 5}`));
      expect(window[0]).toMatchObject({ details: { n: 5, note: 'plain' }, result: 'ok', ip: '10.0.0.5' });

      // actor: part of the label, any case; or the user behind the action; combined with the other filters.
      const ndjson = await text(
        (await exportAuditEvents(ctx, { format: 'ndjson', targetType: TARGET_TYPE, actor: 'OPS-3@EXAMPLE', action: 'run.finish', to: new Date(BASE + 100_000).toISOString() })).stream,
      );
      const lines = ndjson.trimEnd().split('\n').map((l) => JSON.parse(l) as ExportedEvent);
      // i % 5 = 3 and i % 4 = 2, i ≤ 100: i ≡ 18 (mod 20) → 18, 38, 58, 78, 98.
      expect(lines.map((e) => e.targetId)).toEqual(['target-18', 'target-38', 'target-58', 'target-78', 'target-98']);
      const byUser = JSON.parse(
        await text((await exportAuditEvents(ctx, { format: 'json', targetType: TARGET_TYPE, actor: 'u-4', to: new Date(BASE + 20_000).toISOString() })).stream),
      ) as ExportedEvent[];
      expect(byUser.map((e) => e.targetId)).toEqual(['target-4', 'target-9', 'target-14', 'target-19']);
      expect(JSON.parse(await text((await exportAuditEvents(ctx, { format: 'json', targetId: 'tricky', targetType: TARGET_TYPE })).stream))).toHaveLength(1);

      // Nothing matches: a CSV with only its header, an empty JSON array, an empty NDJSON.
      const none = { targetType: TARGET_TYPE, actor: 'nobody-at-all' };
      expect(await text((await exportAuditEvents(ctx, { ...none, format: 'csv' })).stream)).toBe(`${EXPORT_COLUMNS.join(',')}\r\n`);
      expect(JSON.parse(await text((await exportAuditEvents(ctx, { ...none, format: 'json' })).stream))).toEqual([]);
      expect(await text((await exportAuditEvents(ctx, { ...none, format: 'ndjson' })).stream)).toBe('');

      // A page size that does not divide the set: no event twice, none lost at the page edges.
      const paged = JSON.parse(
        await text((await exportAuditEvents(ctx, { format: 'json', targetType: TARGET_TYPE, to: new Date(BASE + 2_500).toISOString() }, { pageSize: 7 })).stream),
      ) as ExportedEvent[];
      expect(paged.map((e) => e.targetId)).toEqual(['target-1', 'target-2']);
      const paged2 = JSON.parse(
        await text((await exportAuditEvents(ctx, { format: 'json', targetType: TARGET_TYPE, to: new Date(BASE + 50_000).toISOString() }, { pageSize: 7 })).stream),
      ) as ExportedEvent[];
      expect(paged2.map((e) => e.targetId)).toEqual(Array.from({ length: 50 }, (_, k) => `target-${k + 1}`));
    });
  });

  it('refuses bad input naming the field, and readers without audit:read', async () => {
    const ctx = { actor: approver };
    for (const [query, field] of [
      [{ format: 'xml' }, 'format'],
      [{ action: 'source.drop' }, 'action'],
      [{ from: 'yesterday' }, 'from'],
      [{ to: '2026-02-30T00:00:00Z' }, 'to'],
      [{ from: '2026-02-02T00:00:00Z', to: '2026-02-01T00:00:00Z' }, 'to'],
      [{ actor: 'x'.repeat(201) }, 'actor'],
      [{ targetId: '   ' }, 'targetId'],
    ] as const) {
      const r = await refusal(exportAuditEvents(ctx, query));
      expect(r, JSON.stringify(query)).toMatchObject({ status: 422, code: 'VALIDATION' });
      expect(r.message, JSON.stringify(query)).toMatch(new RegExp(`^${field}: `));
    }
    expect(await refusal(exportAuditEvents({ actor: viewer }, {}))).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(await refusal(exportAuditEvents({ actor: null }, {}))).toMatchObject({ status: 401 });
  });
});
