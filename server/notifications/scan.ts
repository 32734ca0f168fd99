import { enqueueNotification } from '@/server/jobs/producer';
import { db, type Tx } from '@/server/shared/db';
import { logger } from '@/server/shared/logger';
import { evaluateSource } from '@/server/slo/evaluate-source';
import { loadSloFacts } from '@/server/slo/load-slo-facts';
import { formatMoment, formatSeconds } from '@/server/slo/wording';
import type { NotificationEventName, NotificationPayload } from './events';
import { linkTo } from './notify-env';
import { idsToLookUp, PROJECTED_ACTIONS, projectAuditEvent, type AuditRow, type Projected } from './project-audit';

/**
 * The notifier: notifications are a projection of what the catalog records, so no other domain calls it. Every
 * worker runs these passes on its recurring schedule (workers/jobs.ts); a transaction-level advisory lock makes each
 * pass single-flight across workers (the others skip), and each pass's deliveries are inserted in the SAME
 * transaction that advances its cursor, so an event becomes deliveries exactly once: a crash before the commit
 * leaves the cursor where it was, and the unique (channel, eventKey) makes a replay add nothing. The jobs are
 * enqueued after the commit; one lost there is re-enqueued by the sweep (retry-deliveries.ts).
 *
 * - Audit pass: AuditEvent rows after the `audit` cursor, in id order. Appends to the chain are serialised by a
 *   transaction advisory lock held to their commit (server/audit/record-audit.ts), so ids become visible in order
 *   (gaps from rollbacks aside) and a cursor on the id never steps over an event committed later.
 * - Slots pass: ScheduledSlot rows recorded MISSED. The fire path records a late fire's slot without an audit event
 *   (the reconciler writes `slot.missed`, the fire path does not), so the rows are read, not the trail: grouped per
 *   (source, schedule) per pass, one message per group. Their `createdAt` is their transaction's time, not its
 *   commit's, so the pass reads only rows older than SLOT_SETTLE_MS (longer than any transaction that writes them)
 *   and its cursor is that horizon.
 * - RPO pass (scanRpo): the SLO figures of every source, told on a transition: `rpo.at-risk` / `rpo.breached` once per
 *   newest usable point (its data time is the cursor of that source and event).
 *
 * On a fresh catalog the audit and slots cursors start at the present (the newest audit id, now − settle): history is
 * not replayed. The RPO states are the present itself: a breach going on is told once, the first time it is seen.
 */

// Arbitrary constants naming the advisory locks of the passes (the audit chain's is 7_301_001).
const SCAN_LOCK = 7_301_201;
const RPO_LOCK = 7_301_202;
const AUDIT_CURSOR = 'audit';
const SLOTS_CURSOR = 'slots';
// 500 events a transaction: a burst (a thousand scheduled backups finishing) is a few short transactions.
const PAGE_SIZE = 500;
// At most 20 pages (10,000 events) per scan, so one scan never runs long; the next one, seconds later, continues.
const MAX_PAGES = 20;
// The fire batch's transaction may last 60 s (workers/scheduler/fire-slot.ts); a slot row is read once it is
// 90 s old, by when its transaction has surely committed or rolled back.
const SLOT_SETTLE_MS = 90_000;

interface NewDelivery {
  id: string;
}

export interface ScanResult {
  events: number;
  deliveries: number;
  skipped: boolean;
}

/** Inserts one delivery per (projection, enabled channel subscribed to its event); returns the new rows. */
async function insertDeliveries(tx: Tx, projected: readonly Projected[], channels: ReadonlyArray<{ id: string; events: string[] }>): Promise<NewDelivery[]> {
  const data: Array<{ channelId: string; event: string; eventKey: string; payload: object }> = [];
  const seen = new Set<string>();
  for (const p of projected) {
    for (const c of channels) {
      if (!c.events.includes(p.event)) continue;
      // Two events of one page under one key (a verify's two failure records): the first one is told.
      const k = `${c.id}\n${p.key}`;
      if (seen.has(k)) continue;
      seen.add(k);
      data.push({ channelId: c.id, event: p.event, eventKey: p.key, payload: p.payload as unknown as object });
    }
  }
  if (data.length === 0) return [];
  return tx.notificationDelivery.createManyAndReturn({ data, skipDuplicates: true, select: { id: true } });
}

async function tryLock(tx: Tx, key: number): Promise<boolean> {
  const [row] = await tx.$queryRaw<Array<{ locked: boolean }>>`SELECT pg_try_advisory_xact_lock(${key}) AS locked`;
  return row?.locked === true;
}

async function enqueueAll(created: readonly NewDelivery[]): Promise<void> {
  for (const d of created) {
    await enqueueNotification(d.id, 0).catch((e: unknown) => logger.warn({ err: e, deliveryId: d.id }, 'could not enqueue a notification; the sweep will'));
  }
}

const enabledChannels = (tx: Tx) => tx.notificationChannel.findMany({ where: { enabled: true }, select: { id: true, events: true } });

/** One page of the audit pass, in its own transaction. */
async function auditPage(): Promise<{ events: number; created: NewDelivery[]; more: boolean; skipped: boolean }> {
  return db().$transaction(async (tx) => {
    if (!(await tryLock(tx, SCAN_LOCK))) return { events: 0, created: [], more: false, skipped: true };
    const cursor = await tx.notificationCursor.findUnique({ where: { id: AUDIT_CURSOR } });
    const channels = await enabledChannels(tx);
    if (!cursor || channels.length === 0) {
      // A fresh catalog starts at its newest event (no history replayed); with no channel to tell, the cursor
      // keeps up without reading the events.
      const head = await tx.auditEvent.aggregate({ _max: { id: true } });
      const at = head._max.id ?? 0n;
      await tx.notificationCursor.upsert({ where: { id: AUDIT_CURSOR }, create: { id: AUDIT_CURSOR, lastEventId: at }, update: { lastEventId: at } });
      return { events: 0, created: [], more: false, skipped: false };
    }
    const rows: AuditRow[] = await tx.auditEvent.findMany({
      where: { id: { gt: cursor.lastEventId } },
      orderBy: { id: 'asc' },
      take: PAGE_SIZE,
      select: { id: true, at: true, actorLabel: true, action: true, targetType: true, targetId: true, details: true, result: true },
    });
    if (rows.length === 0) return { events: 0, created: [], more: false, skipped: false };
    const relevant = rows.filter((r) => PROJECTED_ACTIONS.has(r.action));
    const projected: Projected[] = [];
    if (relevant.length > 0) {
      const ids = idsToLookUp(relevant);
      // One after the other: a transaction is one connection, which runs one query at a time anyway.
      const runs = ids.runIds.length
        ? await tx.run.findMany({ where: { id: { in: ids.runIds } }, select: { id: true, kind: true, status: true, sourceId: true, error: true, restoreRequest: { select: { id: true } } } })
        : [];
      const requests = ids.requestIds.length
        ? await tx.restoreRequest.findMany({ where: { id: { in: ids.requestIds } }, select: { id: true, sourceId: true, mode: true, destructive: true, reason: true, requiredApprovals: true, runId: true } })
        : [];
      const points = ids.pointIds.length ? await tx.recoveryPoint.findMany({ where: { id: { in: ids.pointIds } }, select: { id: true, sourceId: true } }) : [];
      const sourceIds = new Set([...ids.sourceIds, ...runs.map((r) => r.sourceId), ...requests.map((r) => r.sourceId), ...points.map((p) => p.sourceId)]);
      const sources = sourceIds.size ? await tx.source.findMany({ where: { id: { in: [...sourceIds] } }, select: { id: true, name: true } }) : [];
      const look = {
        runs: new Map(runs.map((r) => [r.id, { kind: r.kind, status: r.status, sourceId: r.sourceId, error: r.error, restoreRequestId: r.restoreRequest?.id ?? null }])),
        requests: new Map(requests.map((r) => [r.id, r])),
        points: new Map(points.map((p) => [p.id, { sourceId: p.sourceId }])),
        sources: new Map(sources.map((s) => [s.id, s.name])),
        link: (path: string) => linkTo(path),
      };
      for (const row of relevant) {
        const p = projectAuditEvent(row, look);
        if (p) projected.push(p);
      }
    }
    const created = await insertDeliveries(tx, projected, channels);
    await tx.notificationCursor.update({ where: { id: AUDIT_CURSOR }, data: { lastEventId: rows[rows.length - 1]!.id } });
    return { events: rows.length, created, more: rows.length === PAGE_SIZE, skipped: false };
  });
}

interface MissedGroup {
  sourceId: string;
  sourceName: string;
  scheduleId: string;
  kind: string;
  count: number;
  first: Date;
  last: Date;
  reasons: string[];
}

/** The slots pass: MISSED slot rows settled since the cursor, one message per (source, schedule). */
async function slotsPass(now: Date): Promise<{ created: NewDelivery[]; skipped: boolean }> {
  return db().$transaction(async (tx) => {
    if (!(await tryLock(tx, SCAN_LOCK))) return { created: [], skipped: true };
    const horizon = now.getTime() - SLOT_SETTLE_MS;
    const cursor = await tx.notificationCursor.findUnique({ where: { id: SLOTS_CURSOR } });
    const channels = (await enabledChannels(tx)).filter((c) => c.events.includes('slot.missed'));
    if (!cursor || channels.length === 0) {
      await tx.notificationCursor.upsert({ where: { id: SLOTS_CURSOR }, create: { id: SLOTS_CURSOR, lastEventId: BigInt(horizon) }, update: { lastEventId: BigInt(horizon) } });
      return { created: [], skipped: false };
    }
    const from = Number(cursor.lastEventId);
    if (horizon <= from) return { created: [], skipped: false };
    const groups = await tx.$queryRaw<MissedGroup[]>`
      SELECT s."sourceId", src.name AS "sourceName", s."scheduleId", s.kind, COUNT(*)::int AS count,
             MIN(s."slotAt") AS first, MAX(s."slotAt") AS last, ARRAY_AGG(DISTINCT COALESCE(s.reason, '')) AS reasons
      FROM "ScheduledSlot" s JOIN "Source" src ON src.id = s."sourceId"
      WHERE s.state = 'MISSED' AND s."createdAt" > ${new Date(from)} AND s."createdAt" <= ${new Date(horizon)}
      GROUP BY s."sourceId", src.name, s."scheduleId", s.kind`;
    const projected: Projected[] = groups.map((g) => {
      const key = `slot.missed:${g.sourceId}:${g.scheduleId}:${g.first.getTime()}`;
      const reasons = g.reasons.filter(Boolean);
      const range = g.count === 1 ? `at ${formatMoment(g.first)}` : `from ${formatMoment(g.first)} to ${formatMoment(g.last)}`;
      const payload: NotificationPayload = {
        id: key,
        event: 'slot.missed',
        at: g.last.toISOString(),
        summary: `${g.count === 1 ? `A scheduled ${g.kind} slot` : `${g.count} scheduled ${g.kind} slots`} of "${g.sourceName}" ${g.count === 1 ? 'was' : 'were'} missed ${range}${reasons.length ? `: ${reasons.join('; ')}` : ''}`,
        source: { id: g.sourceId, name: g.sourceName },
        runId: null,
        restoreRequestId: null,
        link: linkTo(`/sources/${g.sourceId}`),
        details: { scheduleId: g.scheduleId, kind: g.kind, count: g.count, first: g.first.toISOString(), last: g.last.toISOString(), reasons },
      };
      return { event: 'slot.missed', key, payload };
    });
    const created = await insertDeliveries(tx, projected, channels);
    await tx.notificationCursor.update({ where: { id: SLOTS_CURSOR }, data: { lastEventId: BigInt(horizon) } });
    return { created, skipped: false };
  });
}

/**
 * One scan (`notify.scan`, every LIFEBOAT_NOTIFY_SCAN_MS): the audit pass, page by page, then the slots pass; the new
 * deliveries' first jobs are enqueued once their transaction committed.
 */
export async function scanNotifications(now = new Date()): Promise<ScanResult> {
  const result: ScanResult = { events: 0, deliveries: 0, skipped: false };
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await auditPage();
    result.events += r.events;
    result.deliveries += r.created.length;
    result.skipped ||= r.skipped;
    await enqueueAll(r.created);
    if (!r.more) break;
  }
  if (result.skipped) return result;
  const slots = await slotsPass(now);
  result.deliveries += slots.created.length;
  await enqueueAll(slots.created);
  return result;
}

const RPO_EVENTS = ['rpo.at-risk', 'rpo.breached'] as const satisfies readonly NotificationEventName[];

/**
 * The RPO pass (`notify.rpo`): every source's SLO figures (server/slo, the same evaluation as `GET /slo`), told on a
 * transition. A source is `rpo.breached` when its newest usable point is older than its tier's RPO target, and
 * `rpo.at-risk` when the target runs out before the next backup can land (the SLO's AT_RISK). Each is told once per
 * newest usable point: the cursor `rpo.breached:<source>` holds the data time of the point last told about, so the
 * next breach (after a new point, then a new gap) is told again. Evaluated only while a channel subscribes to one of
 * them; a breach going on when the first one subscribes is told then, once.
 */
export async function scanRpo(now = new Date()): Promise<{ deliveries: number; skipped: boolean }> {
  const subscribed = await db().notificationChannel.count({ where: { enabled: true, events: { hasSome: [...RPO_EVENTS] } } });
  if (subscribed === 0) return { deliveries: 0, skipped: false };
  // Read outside the transaction (a fixed number of queries, cheap enough for the metrics endpoint's polling);
  // what was already told is decided inside, under the lock.
  const facts = await loadSloFacts(db(), now);
  const figures = facts.sources.map((s) => evaluateSource(s, facts.installation, now));
  const result = await db().$transaction(async (tx) => {
    if (!(await tryLock(tx, RPO_LOCK))) return { created: [] as NewDelivery[], skipped: true };
    const cursors = new Map((await tx.notificationCursor.findMany({ where: { id: { startsWith: 'rpo.' } } })).map((c) => [c.id, Number(c.lastEventId)]));
    const channels = await enabledChannels(tx);
    const projected: Projected[] = [];
    const advanced: Array<{ id: string; at: number }> = [];
    for (const slo of figures) {
      if (!slo.rpo.pointAt || slo.rpo.targetSeconds === null || slo.rpo.achievedSeconds === null) continue;
      const pointAt = Date.parse(slo.rpo.pointAt);
      const breached = slo.rpo.achievedSeconds > slo.rpo.targetSeconds;
      const atRisk = slo.status === 'AT_RISK';
      for (const event of RPO_EVENTS) {
        if (!(event === 'rpo.breached' ? breached : atRisk)) continue;
        const cursorId = `${event}:${slo.sourceId}`;
        const told = cursors.get(cursorId);
        if (told !== undefined && told >= pointAt) continue;
        advanced.push({ id: cursorId, at: pointAt });
        const key = `${event}:${slo.sourceId}:${pointAt}`;
        const age = formatSeconds(slo.rpo.achievedSeconds);
        const target = formatSeconds(slo.rpo.targetSeconds);
        const risk = slo.reasons.find((r) => r.startsWith('RPO target runs out'));
        projected.push({
          event,
          key,
          payload: {
            id: key,
            event,
            at: now.toISOString(),
            summary:
              event === 'rpo.breached'
                ? `RPO of "${slo.name}" breached: its newest usable recovery point is ${age} old, the target is ${target}`
                : `RPO of "${slo.name}" at risk: ${risk ?? `the target ${target} runs out before the next backup can land`}`,
            source: { id: slo.sourceId, name: slo.name },
            runId: null,
            restoreRequestId: null,
            link: linkTo(`/sources/${slo.sourceId}`),
            details: { status: slo.status, achievedSeconds: slo.rpo.achievedSeconds, targetSeconds: slo.rpo.targetSeconds, pointId: slo.rpo.pointId, pointAt: slo.rpo.pointAt, reasons: slo.reasons },
          },
        });
      }
    }
    const created = await insertDeliveries(tx, projected, channels);
    for (const a of advanced) {
      await tx.notificationCursor.upsert({ where: { id: a.id }, create: { id: a.id, lastEventId: BigInt(a.at) }, update: { lastEventId: BigInt(a.at) } });
    }
    // Cursors of deleted sources go with them.
    const known = new Set(figures.map((f) => f.sourceId));
    const stale = [...cursors.keys()].filter((id) => !known.has(id.slice(id.indexOf(':') + 1)));
    if (stale.length > 0) await tx.notificationCursor.deleteMany({ where: { id: { in: stale } } });
    return { created, skipped: false };
  });
  await enqueueAll(result.created);
  return { deliveries: result.created.length, skipped: result.skipped };
}
