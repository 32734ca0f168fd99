import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { db } from '@/server/shared/db';
import { driverForDestination } from '@/server/storage/for-destination';
import { AUDIT_HEADS_PREFIX, auditHeadDate } from '@/server/storage/layout';
import type { StorageDriver } from '@/server/storage/driver';
import { canonicalJson } from './chain-hash';

/**
 * Anchors: the audit chain's head (sequence = the event id, its hash, the time) written outside the catalog, to
 * every destination, as `audit/heads/<date>.json`. The file carries an HMAC under the audit key, so whoever can
 * write a bucket but not read the master key cannot forge one. `verify` reads the newest anchor back and checks
 * that the chain still holds that event with that hash: a truncated tail or a catalog restored from an old backup
 * no longer does.
 */
export const AUDIT_HEAD_FORMAT = 'lifeboat-audit-head/v1';

export interface AuditHead {
  sequence: bigint;
  hash: string;
  at: Date;
}

const HeadFile = z.object({
  format: z.literal(AUDIT_HEAD_FORMAT),
  sequence: z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,19}$/)]).transform((v) => BigInt(v)),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  at: z.string().datetime(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});

function headMac(key: Buffer, head: AuditHead): string {
  const body = canonicalJson({ format: AUDIT_HEAD_FORMAT, sequence: head.sequence.toString(), hash: head.hash, at: head.at.toISOString() });
  return crypto.createHmac('sha256', key).update('lifeboat-audit-head\n').update(body).digest('hex');
}

/** The file written to `audit/heads/<date>.json`. `sequence` is a JSON number: event ids stay far below 2^53. */
export function headFileText(key: Buffer, head: AuditHead): string {
  const file = { format: AUDIT_HEAD_FORMAT, sequence: Number(head.sequence), hash: head.hash, at: head.at.toISOString(), mac: headMac(key, head) };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Parses an anchor file; the reason it cannot be trusted otherwise (damaged, not an anchor, or its HMAC is wrong). */
export function parseHeadFile(key: Buffer, text: string): { head: AuditHead } | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: 'not JSON' };
  }
  const parsed = HeadFile.safeParse(raw);
  if (!parsed.success) return { error: 'not an audit head file' };
  const head: AuditHead = { sequence: parsed.data.sequence, hash: parsed.data.hash, at: new Date(parsed.data.at) };
  const mac = Buffer.from(headMac(key, head), 'hex');
  if (!crypto.timingSafeEqual(mac, Buffer.from(parsed.data.mac, 'hex'))) return { error: 'its HMAC does not match (forged, or written under another master key)' };
  return { head };
}

// An anchor is ~250 bytes; 64 KiB is far beyond any genuine one and stops a hostile object from filling memory.
const MAX_HEAD_BYTES = 64 * 1024;

async function readSmall(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_HEAD_BYTES) {
      stream.destroy();
      throw new Error(`larger than ${MAX_HEAD_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface DestinationRow {
  id: string;
  name: string;
  kind: string;
  config: unknown;
  secrets: string | null;
}

export const destinationsForAnchors = (): Promise<DestinationRow[]> =>
  db().destination.findMany({ select: { id: true, name: true, kind: true, config: true, secrets: true }, orderBy: { name: 'asc' } });

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e)).slice(0, 500);

interface FoundAnchor {
  destination: DestinationRow;
  key: string;
  date: string;
  parsed: { head: AuditHead } | { error: string };
}

/** The newest anchor file on one destination (by its date), or null when it holds none. */
async function newestOn(destination: DestinationRow, key: Buffer, driverFor: (d: DestinationRow) => StorageDriver): Promise<FoundAnchor | null> {
  const driver = driverFor(destination);
  const keys = (await driver.list(AUDIT_HEADS_PREFIX)).filter((k) => auditHeadDate(k) !== null).sort();
  const newest = keys.at(-1);
  if (!newest) return null;
  let parsed: FoundAnchor['parsed'];
  try {
    parsed = parseHeadFile(key, await readSmall(await driver.get(newest)));
  } catch (e) {
    parsed = { error: `unreadable: ${errorText(e)}` };
  }
  return { destination, key: newest, date: auditHeadDate(newest)!, parsed };
}

export interface AnchorCheck {
  /** The destination the newest anchor was read from; null when no destination holds one. */
  destination: string | null;
  /** The anchored event id; null when no anchor was found (or the newest one cannot be trusted). */
  sequence: string | null;
  /** true: the chain holds the anchored event with the anchored hash; false: it does not (or the anchor is forged); null: nothing to check. */
  ok: boolean | null;
  key?: string;
  /** When the anchor was written. */
  at?: string;
  detail: string;
  /** Destinations whose anchors could not be listed (unreachable, misconfigured): they were not compared. */
  unreadable: Array<{ destination: string; error: string }>;
}

/**
 * Finds the newest anchor across every destination (by file date, then the time inside) and checks that the
 * catalog still holds the anchored event with the anchored hash.
 */
export async function checkAnchor(key: Buffer, driverFor: (d: DestinationRow) => StorageDriver = driverForDestination): Promise<AnchorCheck> {
  const unreadable: AnchorCheck['unreadable'] = [];
  const found: FoundAnchor[] = [];
  for (const destination of await destinationsForAnchors()) {
    try {
      const anchor = await newestOn(destination, key, driverFor);
      if (anchor) found.push(anchor);
    } catch (e) {
      unreadable.push({ destination: destination.name, error: errorText(e) });
    }
  }
  const atOf = (a: FoundAnchor) => ('head' in a.parsed ? a.parsed.head.at.getTime() : Number.POSITIVE_INFINITY);
  // A damaged or forged newest file sorts first within its date: it is reported, never skipped for an older good one.
  const newest = found.sort((a, b) => (a.date !== b.date ? (a.date < b.date ? 1 : -1) : atOf(b) - atOf(a)))[0];
  if (!newest) {
    return { destination: null, sequence: null, ok: null, detail: 'no destination holds an audit anchor yet', unreadable };
  }
  const base = { destination: newest.destination.name, key: newest.key, unreadable };
  if ('error' in newest.parsed) {
    return { ...base, sequence: null, ok: false, detail: `the newest anchor (${newest.key}) cannot be trusted: ${newest.parsed.error}` };
  }
  const { head } = newest.parsed;
  const sequence = head.sequence.toString();
  const row = await db().auditEvent.findUnique({ where: { id: head.sequence }, select: { hash: true } });
  const at = head.at.toISOString();
  if (!row) {
    return {
      ...base,
      sequence,
      at,
      ok: false,
      detail: `the chain no longer holds event #${sequence}, anchored at ${at}: its tail was truncated or the catalog restored from an older backup`,
    };
  }
  if (row.hash !== head.hash) {
    return { ...base, sequence, at, ok: false, detail: `event #${sequence} no longer has the hash anchored at ${at}: the catalog was replaced or the event rewritten` };
  }
  return { ...base, sequence, at, ok: true, detail: `event #${sequence}, anchored at ${at}, is in the chain` };
}
