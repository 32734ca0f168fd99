/**
 * The projections that are not audit events: missed slots (read from the slot rows, grouped per source and schedule)
 * and RPO states (from the SLO figures, told once per newest usable point). Real catalog; the passes are called
 * here directly (a worker running beside them in the same catalog may take a pass first: the test waits for the
 * rows, whoever wrote them).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '@/server/auth/permissions';
import { createSource } from '@/server/inventory/create-source';
import { closeProducer } from '@/server/jobs/producer';
import { db, disconnectDb } from '@/server/shared/db';
import { unusedDestinationPath } from '@/server/testing/paths';
import { uniqueName } from '@/server/testing/pg';
import { createChannel } from './create-channel';
import { scanNotifications, scanRpo } from './scan';

// Nothing consumes this prefix: the deliveries made here stay PENDING, which is all these tests look at.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-notify-projection');

let channelId = '';
const made = { sources: [] as string[], tiers: [] as string[], services: [] as string[], destinations: [] as string[] };

/** Runs `pass` until a delivery matching `where` exists (another process may have made it), and returns them all. */
async function deliveriesAfter(pass: () => Promise<unknown>, where: { eventKey?: { startsWith: string } }, min = 1) {
  const end = Date.now() + 30_000;
  for (;;) {
    await pass();
    const rows = await db().notificationDelivery.findMany({ where: { channelId, ...where }, orderBy: { createdAt: 'asc' } });
    if (rows.length >= min) return rows;
    if (Date.now() > end) throw new Error(`no delivery for ${JSON.stringify(where)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const channel = await createChannel({ actor: SYSTEM_ACTOR }, {
    kind: 'webhook',
    name: uniqueName('projection'),
    // Never reached: nothing here delivers (a worker of another file that does gets a name that does not resolve).
    config: { url: 'https://receiver.invalid/hook' },
    events: ['slot.missed', 'rpo.breached', 'rpo.at-risk'],
  });
  channelId = channel.id;
});

afterAll(async () => {
  await db().notificationChannel.deleteMany({ where: { id: channelId } });
  for (const id of made.sources) {
    await db().scheduledSlot.deleteMany({ where: { sourceId: id } });
    await db().recoveryPoint.deleteMany({ where: { sourceId: id } });
    await db().run.deleteMany({ where: { sourceId: id } });
    await db().source.delete({ where: { id } }).catch(() => undefined);
  }
  await db().service.deleteMany({ where: { id: { in: made.services } } });
  await db().tier.deleteMany({ where: { id: { in: made.tiers } } });
  await db().destination.deleteMany({ where: { id: { in: made.destinations } } });
  await closeProducer();
  await disconnectDb();
});

async function source(rpoSeconds: number | null) {
  let serviceId: string | null = null;
  if (rpoSeconds !== null) {
    const tier = await db().tier.create({ data: { name: uniqueName('proj-tier'), rpoSeconds, rtoSeconds: 86_400 } });
    made.tiers.push(tier.id);
    const service = await db().service.create({ data: { name: uniqueName('proj-svc'), tierId: tier.id } });
    made.services.push(service.id);
    serviceId = service.id;
  }
  const s = await createSource({ actor: SYSTEM_ACTOR }, {
    kind: 'postgres',
    name: uniqueName('proj-src'),
    config: { host: 'db.invalid', port: 5432, database: 'app', user: 'app' },
    testConnection: false,
  });
  made.sources.push(s.id);
  if (serviceId) await db().source.update({ where: { id: s.id }, data: { serviceId } });
  return s;
}

async function pointTakenAgo(sourceId: string, ms: number) {
  let destinationId = made.destinations[0];
  if (!destinationId) {
    destinationId = (await db().destination.create({ data: { name: uniqueName('proj-dest'), kind: 'local', config: { path: unusedDestinationPath() } } })).id;
    made.destinations.push(destinationId);
  }
  const startedAt = new Date(Date.now() - ms);
  const run = await db().run.create({ data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId, destinationId, startedAt, finishedAt: new Date(startedAt.getTime() + 1_000) } });
  return db().recoveryPoint.create({
    data: { sourceId, runId: run.id, destinationId, engine: 'postgres', location: `sources/${sourceId}/${run.id}/data.pgdump`, sizeBytes: 10n, sha256: crypto.randomBytes(32).toString('hex'), manifest: {} },
  });
}

describe('projections beyond the audit trail', () => {
  it('missed slots: one message per source and schedule, with the count, the range and the reasons, once', async () => {
    const s = await source(null);
    // As the scheduler records them; `createdAt` just inside the settle window, so the next passes read them.
    const createdAt = new Date(Date.now() - 87_000);
    const slotAt = (m: number) => new Date(Date.UTC(2026, 0, 1, 3, m));
    await db().scheduledSlot.createMany({
      data: [0, 1, 2].map((m) => ({ sourceId: s.id, scheduleId: 'nightly', kind: 'backup', slotAt: slotAt(m), state: 'MISSED' as const, reason: 'no worker was running', createdAt })),
    });
    const key = `slot.missed:${s.id}:nightly:${slotAt(0).getTime()}`;
    const rows = await deliveriesAfter(() => scanNotifications(), { eventKey: { startsWith: key } });
    // A few more passes add nothing.
    for (let i = 0; i < 3; i++) await scanNotifications();
    const again = await db().notificationDelivery.findMany({ where: { channelId, eventKey: { startsWith: `slot.missed:${s.id}` } } });
    expect(again).toHaveLength(1);
    expect(rows[0]!.payload).toMatchObject({
      event: 'slot.missed',
      source: { id: s.id, name: s.name },
      summary: `3 scheduled backup slots of "${s.name}" were missed from 2026-01-01 03:00 UTC to 2026-01-01 03:02 UTC: no worker was running`,
      link: expect.stringMatching(new RegExp(`/sources/${s.id}$`)) as unknown,
      details: { scheduleId: 'nightly', count: 3, reasons: ['no worker was running'] },
    });
  });

  it('RPO breached: told once per newest usable point, again after a newer point that is late too', async () => {
    const s = await source(60);
    const first = await pointTakenAgo(s.id, 2 * 3_600_000);
    const prefix = `rpo.breached:${s.id}:`;
    const rows = await deliveriesAfter(() => scanRpo(), { eventKey: { startsWith: prefix } });
    await scanRpo();
    await scanRpo();
    expect(await db().notificationDelivery.count({ where: { channelId, eventKey: { startsWith: prefix } } })).toBe(1);
    expect(rows[0]!.payload).toMatchObject({
      event: 'rpo.breached',
      source: { id: s.id, name: s.name },
      summary: expect.stringMatching(new RegExp(`^RPO of "${s.name}" breached: its newest usable recovery point is 2 h( \\d+ s)? old, the target is 1 min$`)) as unknown,
      details: { targetSeconds: 60, pointId: first.id },
    });

    // A newer point, itself older than the target: a new breach, told once more.
    const second = await pointTakenAgo(s.id, 3_600_000);
    const both = await deliveriesAfter(() => scanRpo(), { eventKey: { startsWith: prefix } }, 2);
    await scanRpo();
    expect(await db().notificationDelivery.count({ where: { channelId, eventKey: { startsWith: prefix } } })).toBe(2);
    expect(both[1]!.payload).toMatchObject({ details: { pointId: second.id } });
  });
});
