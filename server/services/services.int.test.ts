import { afterAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { errorResponse } from '@/server/http/errors';
import { db, disconnectDb } from '@/server/shared/db';
import { uniqueName } from '@/server/testing/pg';
import { createService, createTier, deleteService, listServices, listTiers, updateService, updateTier } from '.';

// Issue 8, item 1: tiers and services. Bad input is refused naming the field, with nothing stored; deleting a
// service keeps its sources, detached, and says which in the audit trail.

const operator: Actor = { type: 'system', id: null, label: 'services test operator', role: 'OPERATOR' };
const viewer: Actor = { type: 'system', id: null, label: 'services test viewer', role: 'VIEWER' };
const approver: Actor = { type: 'system', id: null, label: 'services test approver', role: 'APPROVER' };

const tierIds: string[] = [];
const serviceIds: string[] = [];
const sourceIds: string[] = [];

afterAll(async () => {
  // Audit events stay: the chain is append-only, and other files verify it.
  await db().source.deleteMany({ where: { id: { in: sourceIds } } });
  await db().service.deleteMany({ where: { id: { in: serviceIds } } });
  await db().tier.deleteMany({ where: { id: { in: tierIds } } });
  await disconnectDb();
});

/** What the API would answer for a refused call: the status, the code and the fields the issues name. */
async function refusal(call: Promise<unknown>) {
  let error: unknown;
  try {
    await call;
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error('expected the call to be refused');
  const response = errorResponse(error);
  const body = (await response.json()) as { error: { code: string; message: string; details?: { issues?: Array<{ path: string[] }> } } };
  return { status: response.status, ...body.error, fields: (body.error.details?.issues ?? []).map((i) => i.path.join('.')) };
}

async function tier(over: Record<string, unknown> = {}) {
  const dto = await createTier({ actor: operator }, { name: uniqueName('tier'), rpoSeconds: 600, rtoSeconds: 7200, ...over });
  tierIds.push(dto.id);
  return dto;
}

async function service(over: Record<string, unknown> = {}) {
  const dto = await createService({ actor: operator }, { name: uniqueName('svc'), ...over });
  serviceIds.push(dto.id);
  return dto;
}

async function source(serviceId: string | null) {
  const row = await db().source.create({ data: { name: uniqueName('src'), kind: 'postgres', config: {}, serviceId } });
  sourceIds.push(row.id);
  return row;
}

const audit = (action: string, targetId: string) =>
  db().auditEvent.findFirst({ where: { action, targetId }, orderBy: { id: 'desc' } });

describe('tiers', () => {
  it("are seeded with the runbooks' three tiers", async () => {
    const tiers = await listTiers({ actor: viewer });
    const byName = new Map(tiers.map((t) => [t.name, t]));
    expect(byName.get('tier-1-critical')).toMatchObject({ rpoSeconds: 300, rtoSeconds: 3_600 });
    expect(byName.get('tier-2-important')).toMatchObject({ rpoSeconds: 900, rtoSeconds: 14_400 });
    expect(byName.get('tier-3-standard')).toMatchObject({ rpoSeconds: 3_600, rtoSeconds: 86_400 });
  });

  it('refuses rpoSeconds 0 with 422 naming rpoSeconds, and stores nothing', async () => {
    const name = uniqueName('tier');
    const r = await refusal(createTier({ actor: operator }, { name, rpoSeconds: 0, rtoSeconds: 3600 }));
    expect(r).toMatchObject({ status: 422, code: 'VALIDATION', fields: ['rpoSeconds'] });
    expect(await db().tier.count({ where: { name } })).toBe(0);
  });

  it.each([
    [{ rpoSeconds: 1.5 }, 'rpoSeconds'],
    [{ rtoSeconds: -1 }, 'rtoSeconds'],
    [{ rtoSeconds: '3600' }, 'rtoSeconds'],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ description: 'x'.repeat(1001) }, 'description'],
  ] as Array<[Record<string, unknown>, string]>)('refuses %o naming %s', async (over, field) => {
    const name = typeof over.name === 'string' ? over.name : uniqueName('tier');
    const r = await refusal(createTier({ actor: operator }, { name, rpoSeconds: 60, rtoSeconds: 60, ...over }));
    expect(r.status).toBe(422);
    expect(r.fields).toContain(field);
    if (name) expect(await db().tier.count({ where: { name } })).toBe(0);
  });

  it('refuses readers that may not write inventory (403), and lets every reading role list', async () => {
    for (const actor of [viewer, approver]) {
      expect((await refusal(createTier({ actor }, { name: uniqueName('tier'), rpoSeconds: 60, rtoSeconds: 60 }))).status).toBe(403);
      expect((await listTiers({ actor })).length).toBeGreaterThanOrEqual(3);
    }
  });

  it('updates objectives, audited with the previous values; a bad value changes nothing', async () => {
    const t = await tier();
    const updated = await updateTier({ actor: operator }, t.id, { rpoSeconds: 120 });
    expect(updated).toMatchObject({ id: t.id, rpoSeconds: 120, rtoSeconds: 7200 });
    const event = await audit('tier.update', t.id);
    expect(event?.details).toMatchObject({ changes: { rpoSeconds: { from: 600, to: 120 } } });

    const r = await refusal(updateTier({ actor: operator }, t.id, { rpoSeconds: 0, rtoSeconds: 60 }));
    expect(r).toMatchObject({ status: 422, fields: ['rpoSeconds'] });
    expect(await db().tier.findUnique({ where: { id: t.id } })).toMatchObject({ rpoSeconds: 120, rtoSeconds: 7200 });
    expect((await refusal(updateTier({ actor: operator }, t.id, { rpo: 5 }))).status).toBe(422);
    expect((await refusal(updateTier({ actor: operator }, '00000000-0000-4000-8000-000000000000', { rpoSeconds: 5 }))).status).toBe(404);
  });

  it('refuses a duplicate name with 409', async () => {
    const t = await tier();
    expect((await refusal(createTier({ actor: operator }, { name: t.name, rpoSeconds: 60, rtoSeconds: 60 }))).status).toBe(409);
  });
});

describe('services', () => {
  it('are created with a tier and listed with its objectives and sources', async () => {
    const t = await tier({ rpoSeconds: 300, rtoSeconds: 3600 });
    const s = await service({ tierId: t.id, description: 'the front door', contact: 'oncall@example.com' });
    const src = await source(s.id);
    const listed = (await listServices({ actor: viewer })).find((x) => x.id === s.id);
    expect(listed).toMatchObject({
      name: s.name,
      tierId: t.id,
      tier: { id: t.id, name: t.name, rpoSeconds: 300, rtoSeconds: 3600 },
      description: 'the front door',
      contact: 'oncall@example.com',
      sourceIds: [src.id],
      sourceCount: 1,
    });
    expect(await audit('service.create', s.id)).not.toBeNull();
  });

  it('refuses a tierId naming no tier with 422 naming tierId, and stores nothing', async () => {
    const name = uniqueName('svc');
    for (const tierId of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const r = await refusal(createService({ actor: operator }, { name, tierId }));
      expect(r).toMatchObject({ status: 422, code: 'VALIDATION', fields: ['tierId'] });
    }
    expect(await db().service.count({ where: { name } })).toBe(0);
  });

  it('refuses bad names and bounded strings naming the field', async () => {
    expect((await refusal(createService({ actor: operator }, { name: ' ' }))).fields).toEqual(['name']);
    expect((await refusal(createService({ actor: operator }, { name: uniqueName('svc'), contact: 'x'.repeat(201) }))).fields).toEqual(['contact']);
    expect((await refusal(createService({ actor: viewer }, { name: uniqueName('svc') }))).status).toBe(403);
  });

  it('updates the tier (null detaches it), and a missing tier changes nothing', async () => {
    const t = await tier();
    const s = await service();
    expect(await updateService({ actor: operator }, s.id, { tierId: t.id, contact: 'team-a' })).toMatchObject({ tierId: t.id, contact: 'team-a' });
    const r = await refusal(updateService({ actor: operator }, s.id, { tierId: '00000000-0000-4000-8000-000000000000' }));
    expect(r).toMatchObject({ status: 422, fields: ['tierId'] });
    expect((await db().service.findUnique({ where: { id: s.id } }))?.tierId).toBe(t.id);
    expect(await updateService({ actor: operator }, s.id, { tierId: null, contact: '' })).toMatchObject({ tierId: null, tier: null, contact: null });
    expect((await audit('service.update', s.id))?.details).toMatchObject({ changes: { tierId: { from: t.id, to: null } } });
  });

  it('deletes a service, detaching its sources (audited), never deleting them', async () => {
    const s = await service();
    const a = await source(s.id);
    const b = await source(s.id);
    const other = await source(null);
    const result = await deleteService({ actor: operator }, s.id);
    expect(result.detachedSourceIds.sort()).toEqual([a.id, b.id].sort());
    expect(await db().service.findUnique({ where: { id: s.id } })).toBeNull();
    const after = await db().source.findMany({ where: { id: { in: [a.id, b.id, other.id] } }, select: { serviceId: true } });
    expect(after).toHaveLength(3);
    expect(after.every((x) => x.serviceId === null)).toBe(true);
    const event = await audit('service.delete', s.id);
    expect((event?.details as { detachedSources: Array<{ id: string }> }).detachedSources.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect((await refusal(deleteService({ actor: operator }, s.id))).status).toBe(404);
    expect((await refusal(deleteService({ actor: viewer }, a.id))).status).toBe(403);
  });
});
