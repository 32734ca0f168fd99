import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { authorize } from '@/server/auth/permissions';
import { recordAudit } from '@/server/audit/record-audit';
import { readerOf, withTransaction, type VerbContext } from '@/server/shared/context';
import type { Tx } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { AuditEventFilter, auditEventWhere } from './filter';

// 1000 rows a page: one query returns a few hundred kB, so memory stays flat however many events match, and a
// 100k-event export is 100 round trips rather than 100 000.
export const EXPORT_PAGE_SIZE = 1000;

export const AUDIT_EXPORT_FORMATS = ['csv', 'json', 'ndjson'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

export const ExportAuditEventsInput = z.intersection(
  z.object({
    format: z.enum(AUDIT_EXPORT_FORMATS, { error: `format must be one of ${AUDIT_EXPORT_FORMATS.join(', ')}` }).default('csv'),
  }),
  AuditEventFilter,
);
export type ExportAuditEventsInput = z.infer<typeof ExportAuditEventsInput>;

/** The columns of an export, in the CSV's order; the JSON formats use the same names. */
export const EXPORT_COLUMNS = [
  'id',
  'at',
  'actorType',
  'actorId',
  'actorUserId',
  'actorLabel',
  'action',
  'targetType',
  'targetId',
  'result',
  'requestId',
  'ip',
  'userAgent',
  'details',
  'alg',
  'prevHash',
  'hash',
] as const;

/** Only what the export writes, so a column added to the table later does not leak into it unreviewed. */
const SELECT = Object.fromEntries(EXPORT_COLUMNS.map((c) => [c, true])) as { [K in (typeof EXPORT_COLUMNS)[number]]: true };

export interface ExportedEvent {
  id: string;
  at: string;
  actorType: string;
  actorId: string | null;
  actorUserId: string | null;
  actorLabel: string;
  action: string;
  targetType: string;
  targetId: string | null;
  result: string;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: unknown;
  alg: string;
  prevHash: string;
  hash: string;
}

/**
 * The events matching `filter`, oldest first (the chain's order), one page at a time, by keyset on `id` (never
 * OFFSET, which rereads every earlier row). Only events up to `upTo` are read: an export is the set as it stood
 * when it was asked for, not one that grows while it streams.
 */
export async function* auditEventPages(
  reader: Tx,
  filter: AuditEventFilter,
  { upTo, pageSize = EXPORT_PAGE_SIZE }: { upTo: bigint; pageSize?: number },
): AsyncGenerator<ExportedEvent[]> {
  const where = auditEventWhere(filter);
  let after = 0n;
  for (;;) {
    const rows = await reader.auditEvent.findMany({
      where: { AND: [where, { id: { gt: after, lte: upTo } }] },
      orderBy: { id: 'asc' },
      take: pageSize,
      select: SELECT,
    });
    if (rows.length === 0) return;
    yield rows.map((r) => ({ ...r, id: r.id.toString(), at: r.at.toISOString() }));
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.id;
  }
}

/** The events as CSV rows; `details` as its JSON text. */
function csvRows(events: ExportedEvent[], header: boolean): string {
  return stringify(
    // Arrays, not objects: one allocation less per event, and the columns' order is EXPORT_COLUMNS'.
    events.map((e) => EXPORT_COLUMNS.map((c) => (c === 'details' ? JSON.stringify(e.details ?? {}) : e[c]))),
    {
      header,
      columns: [...EXPORT_COLUMNS],
      // RFC 4180: CRLF between records; fields with a comma, quote or line break are quoted, quotes doubled.
      record_delimiter: 'windows',
      // A label or reason starting with = + - @ is shown by spreadsheets as text, not run as a formula
      // (prefixed with '); the JSON formats keep every value exactly.
      escape_formulas: true,
    },
  );
}

/**
 * A byte stream of the events in `format`, read page by page as the client takes it (pull-based: a slow client
 * slows the queries, nothing piles up). `csv`: a header row, then one row per event. `json`: one JSON array.
 * `ndjson`: one JSON object a line.
 */
export function auditExportStream(
  reader: Tx,
  filter: AuditEventFilter,
  format: AuditExportFormat,
  opts: { upTo: bigint; pageSize?: number },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const pages = auditEventPages(reader, filter, opts);
  let first = true;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: IteratorResult<ExportedEvent[]>;
        try {
          next = await pages.next();
        } catch (e) {
          // Mid-download there is no status left to set: the client sees a cut-off file, the log says why.
          logger.error({ err: e }, 'audit export failed while streaming');
          throw e;
        }
        const start = first;
        first = false;
        if (next.done) {
          const tail = format === 'csv' ? (start ? csvRows([], true) : '') : format === 'json' ? (start ? '[]\n' : '\n]\n') : '';
          if (tail) controller.enqueue(encoder.encode(tail));
          controller.close();
          return;
        }
        const events = next.value;
        let text: string;
        if (format === 'csv') text = csvRows(events, start);
        else if (format === 'ndjson') text = events.map((e) => `${JSON.stringify(e)}\n`).join('');
        else text = (start ? '[\n' : ',\n') + events.map((e) => JSON.stringify(e)).join(',\n');
        controller.enqueue(encoder.encode(text));
      },
      async cancel() {
        // The client went away: stop paging (the generator's `finally`, if any, runs).
        await pages.return(undefined);
      },
    },
    // One page ahead at most.
    { highWaterMark: 1 },
  );
}

const CONTENT_TYPE: Record<AuditExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

export interface AuditExport {
  format: AuditExportFormat;
  contentType: string;
  /** `lifeboat-audit-<UTC date>.<format>`. */
  filename: string;
  /** How many events the export can hold at most: the newest id when it was asked for. */
  upTo: string;
  stream: ReadableStream<Uint8Array>;
}

/**
 * Exports the audit events matching the filters (those of `GET /api/v1/audit`) as a stream. Permission and input
 * are checked before the first byte, so a refusal is an error answer rather than a broken download.
 */
export async function exportAuditEvents(ctx: VerbContext, raw: unknown, opts: { pageSize?: number } = {}): Promise<AuditExport> {
  const { actor } = ctx;
  authorize(actor, 'audit:read');
  const { format, ...filter } = ExportAuditEventsInput.parse(raw);
  const reader = readerOf(ctx);
  const newest = await reader.auditEvent.aggregate({ _max: { id: true } });
  const upTo = newest._max.id ?? 0n;
  const date = new Date().toISOString().slice(0, 10);
  // Who took a copy of the trail, and of what: recorded before the first byte (the export stops before this event).
  await withTransaction(ctx, (tx) =>
    recordAudit(tx, actor, { action: 'audit.export', targetType: 'audit_chain', details: { format, filter, upTo: upTo.toString() } }),
  );
  return {
    format,
    contentType: CONTENT_TYPE[format],
    filename: `lifeboat-audit-${date}.${format}`,
    upTo: upTo.toString(),
    stream: auditExportStream(reader, filter, format, { upTo, pageSize: opts.pageSize }),
  };
}
