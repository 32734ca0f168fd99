/**
 * Issue 9, items 1, 2 and 4: restore requests, their rule, approvals, expiry and break-glass, through the real route
 * handlers (bearer tokens, as the API is called) and the verbs with session actors (what a signed-in browser's
 * session resolves to), against the real database and the engine's real target check.
 */
// The handlers read `req.nextUrl`, so the test builds the request Next builds; only tests load next/server.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- see above
import { NextRequest } from 'next/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeProducer } from '@/server/jobs/producer';
import { db, disconnectDb } from '@/server/shared/db';
import { isDomainError } from '@/server/shared/errors';
import { uniqueName } from '@/server/testing/pg';
import * as restoresRoute from '@/app/api/v1/recovery-points/[id]/restores/route';
import * as listRoute from '@/app/api/v1/restore-requests/route';
import * as oneRoute from '@/app/api/v1/restore-requests/[id]/route';
import * as approveRoute from '@/app/api/v1/restore-requests/[id]/approve/route';
import * as rejectRoute from '@/app/api/v1/restore-requests/[id]/reject/route';
import * as cancelRoute from '@/app/api/v1/restore-requests/[id]/cancel/route';
import * as executeRoute from '@/app/api/v1/restore-requests/[id]/execute/route';
import * as breakGlassRoute from '@/app/api/v1/restore-requests/[id]/break-glass/route';
import * as acknowledgeRoute from '@/app/api/v1/restore-requests/[id]/acknowledge/route';
import * as tierRoute from '@/app/api/v1/tiers/[id]/route';
import { getEngine } from '@/server/engines/registry';
import { requestRestore } from '@/server/restores';
import { approveRestoreRequest, createRestoreRequest, expireRestoreRequests } from '.';
import { cleanupAll, person, restorableSource, sessionOf, type Fixture, type Person } from './test-fixtures';

// This file's own queue: nothing consumes it, so executed requests' runs stay QUEUED.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-approvals');

type Handler<P> = (req: NextRequest, ctx: { params: Promise<P> }) => Promise<Response> | Response;

/** Calls a route handler the way Next does, as the holder of `token`. */
async function call<P extends Record<string, string>>(handler: Handler<P>, token: string, opts: { path: string; method?: string; params?: P; body?: unknown }) {
  const req = new NextRequest(`http://lifeboat.test/api/v1${opts.path}`, {
    method: opts.method ?? 'POST',
    headers: { authorization: `Bearer ${token}`, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  const res = await handler(req, { params: Promise.resolve(opts.params ?? ({} as P)) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field with toMatchObject
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const newTarget = () => ({ database: uniqueName('lbt_appr_new') });

let operator: Person;
let operator2: Person;
let approverA: Person;
let approverB: Person;
let admin: Person;
let admin2: Person;
let untiered: Fixture;
let tier1: Fixture;
let tier2: Fixture;

beforeAll(async () => {
  [operator, operator2, approverA, approverB, admin, admin2] = await Promise.all([
    person('OPERATOR'),
    person('OPERATOR'),
    person('APPROVER'),
    person('APPROVER'),
    person('ADMIN'),
    person('ADMIN'),
  ]);
  [untiered, tier1, tier2] = await Promise.all([restorableSource(null), restorableSource(1), restorableSource(2)]);
});

afterAll(async () => {
  await cleanupAll();
  await closeProducer();
  await disconnectDb();
});

/** Opens a request over the API as `who` and returns its body. */
async function open(fixture: Fixture, who: Person, extra: Record<string, unknown> = {}) {
  const res = await call(listRoute.POST, who.token, {
    path: '/restore-requests',
    body: { recoveryPointId: fixture.pointId, target: newTarget(), reason: 'restore drill for the approvals test', ...extra },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const approve = (id: string, who: Person, comment?: string) =>
  call(approveRoute.POST, who.token, { path: `/restore-requests/${id}/approve`, params: { id }, body: comment ? { comment } : {} });

describe('the shortcut POST /recovery-points/{id}/restores', () => {
  it('runs at once without a tier: same 202 and run fields as before, plus restoreRequest (EXECUTED, "no approval rule")', async () => {
    const target = newTarget();
    const res = await call(restoresRoute.POST, operator.token, { path: `/recovery-points/${untiered.pointId}/restores`, params: { id: untiered.pointId }, body: { target } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: 'RESTORE', status: 'QUEUED', recoveryPointId: untiered.pointId, params: { target, mode: 'new' } });
    expect(res.body.restoreRequest).toMatchObject({ status: 'EXECUTED', runId: res.body.id, rule: 'no approval rule', requiredApprovals: 0, requester: { id: operator.id, email: operator.email } });
  });

  it('waits for approval when the tier asks for one: 202 with the request, PENDING_APPROVAL, no run', async () => {
    const res = await call(restoresRoute.POST, operator.token, { path: `/recovery-points/${tier1.pointId}/restores`, params: { id: tier1.pointId }, body: { target: newTarget() } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'PENDING_APPROVAL', runId: null, requiredApprovals: 1, recoveryPointId: tier1.pointId });
    expect(res.body.rule).toMatch(/^tier appr-tier_\w+: 1 approval$/);
    expect(await db().run.count({ where: { inputPointId: tier1.pointId } })).toBe(0);
  });

  it('still refuses an existing target at once (409) and a bad one (422), before any request exists', async () => {
    const before = await db().restoreRequest.count({ where: { sourceId: tier1.sourceId } });
    const exists = await call(restoresRoute.POST, operator.token, { path: `/recovery-points/${tier1.pointId}/restores`, params: { id: tier1.pointId }, body: { target: { database: tier1.sourceDb } } });
    expect(exists).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    const reserved = await call(restoresRoute.POST, operator.token, { path: `/recovery-points/${tier1.pointId}/restores`, params: { id: tier1.pointId }, body: { target: { database: 'template1' } } });
    expect(reserved).toMatchObject({ status: 422, body: { error: { code: 'VALIDATION' } } });
    expect(await db().restoreRequest.count({ where: { sourceId: tier1.sourceId } })).toBe(before);
  });
});

describe('POST /restore-requests and its reads', () => {
  it('answers 201 with the request: rule, risk, expiry, version 1; GET by id and the list with ?status=&mine=', async () => {
    const body = await open(tier2, operator);
    expect(body).toMatchObject({
      status: 'PENDING_APPROVAL',
      requiredApprovals: 2,
      requiresAdminApproval: false,
      destructive: false,
      mode: 'new',
      version: 1,
      history: [],
      approvals: [],
      decisions: [],
      breakGlass: false,
      sourceId: tier2.sourceId,
      risk: { destructive: false, pointSize: 1234, replaces: null },
    });
    expect(body.risk.pointAge).toBeGreaterThanOrEqual(0);
    const ttlMs = Date.parse(body.expiresAt) - Date.parse(body.createdAt);
    expect(Math.abs(ttlMs - 24 * 3_600_000)).toBeLessThan(60_000);

    const got = await call(oneRoute.GET, approverA.token, { path: `/restore-requests/${body.id}`, method: 'GET', params: { id: body.id } });
    expect(got).toMatchObject({ status: 200, body: { id: body.id, status: 'PENDING_APPROVAL' } });
    const mine = await call(listRoute.GET, operator.token, { path: '/restore-requests?status=PENDING_APPROVAL&mine=true', method: 'GET' });
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((r: { id: string }) => r.id)).toContain(body.id);
    expect(mine.body.items.every((r: { requester: { id: string }; status: string }) => r.requester.id === operator.id && r.status === 'PENDING_APPROVAL')).toBe(true);
    const notMine = await call(listRoute.GET, operator2.token, { path: '/restore-requests?mine=true', method: 'GET' });
    expect(notMine.body.items.map((r: { id: string }) => r.id)).not.toContain(body.id);
    const bad = await call(listRoute.GET, operator.token, { path: '/restore-requests?status=DONE', method: 'GET' });
    expect(bad).toMatchObject({ status: 422, body: { error: { code: 'VALIDATION' } } });
  });

  it('refuses a missing reason (422) and a viewer (403)', async () => {
    const noReason = await call(listRoute.POST, operator.token, { path: '/restore-requests', body: { recoveryPointId: tier1.pointId, target: newTarget() } });
    expect(noReason).toMatchObject({ status: 422, body: { error: { code: 'VALIDATION' } } });
    const viewer = await person('VIEWER');
    const refused = await call(listRoute.POST, viewer.token, { path: '/restore-requests', body: { recoveryPointId: tier1.pointId, target: newTarget(), reason: 'a viewer tries' } });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
  });
});

describe('approvals', () => {
  it('an approver approves: the rule is met, the system executes in the same transaction and links the run', async () => {
    const req = await open(tier1, operator);
    const res = await approve(req.id, approverA, 'looks right');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'EXECUTED', approvals: [{ approver: { id: approverA.id }, comment: 'looks right', version: 1 }] });
    const run = await db().run.findUniqueOrThrow({ where: { id: res.body.runId } });
    expect(run).toMatchObject({ kind: 'RESTORE', status: 'QUEUED', inputPointId: tier1.pointId, breakGlass: false });
    const events = await db().auditEvent.findMany({ where: { targetId: req.id }, orderBy: { id: 'asc' }, select: { action: true } });
    expect(events.map((e) => e.action)).toEqual(['restore-request.create', 'restore-request.approve', 'restore-request.execute']);
  });

  it('self-approval is refused with 403 SELF_APPROVAL: through the session and through a token the requester owns', async () => {
    // An admin may both request and approve, so only the self-approval rule stands in the way.
    const viaSession = await createRestoreRequest({ actor: await sessionOf(admin) }, { recoveryPointId: tier1.pointId, target: newTarget(), reason: 'admin asks for a restore' });
    const sessionRefusal = await approveRestoreRequest({ actor: await sessionOf(admin) }, viaSession.id, {}).catch((e: unknown) => e);
    expect(isDomainError(sessionRefusal) && sessionRefusal.code).toBe('SELF_APPROVAL');
    const tokenRefusal = await approve(viaSession.id, admin);
    expect(tokenRefusal).toMatchObject({ status: 403, body: { error: { code: 'SELF_APPROVAL', message: expect.stringMatching(/through a token you own/) } } });
    // An operator who owns an approver-role token (the CLI can make one) cannot approve their own request with it.
    const { createApiToken } = await import('@/server/auth/api-tokens');
    const { SYSTEM_ACTOR } = await import('@/server/auth/permissions');
    const ownApproverToken = (await createApiToken({ actor: SYSTEM_ACTOR }, operator.id, { name: uniqueName('own'), role: 'APPROVER' })).token;
    const req = await open(tier1, operator);
    expect(await approve(req.id, { ...operator, token: ownApproverToken })).toMatchObject({ status: 403, body: { error: { code: 'SELF_APPROVAL' } } });
    expect(await db().restoreApproval.count({ where: { requestId: { in: [viaSession.id, req.id] } } })).toBe(0);
    expect((await db().restoreRequest.findUniqueOrThrow({ where: { id: req.id } })).status).toBe('PENDING_APPROVAL');
  });

  it('without the approver role: 403 (an operator token; an approver-role token whose owner is an operator)', async () => {
    const req = await open(tier1, operator);
    expect(await approve(req.id, operator2)).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    const { createApiToken } = await import('@/server/auth/api-tokens');
    const { SYSTEM_ACTOR } = await import('@/server/auth/permissions');
    const borrowed = (await createApiToken({ actor: SYSTEM_ACTOR }, operator2.id, { name: uniqueName('borrowed'), role: 'APPROVER' })).token;
    expect(await approve(req.id, { ...operator2, token: borrowed })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await db().restoreApproval.count({ where: { requestId: req.id } })).toBe(0);
  });

  it('an expired request is refused with 409 EXPIRED (approve and execute) and never runs; the sweep marks the others', async () => {
    const req = await open(tier1, operator);
    await db().restoreRequest.update({ where: { id: req.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await approve(req.id, approverA)).toMatchObject({ status: 409, body: { error: { code: 'EXPIRED' } } });
    const row = await db().restoreRequest.findUniqueOrThrow({ where: { id: req.id } });
    expect(row).toMatchObject({ status: 'EXPIRED', runId: null });
    expect(await call(executeRoute.POST, operator.token, { path: `/restore-requests/${req.id}/execute`, params: { id: req.id } })).toMatchObject({ status: 409, body: { error: { code: 'EXPIRED' } } });
    expect(await call(breakGlassRoute.POST, admin.token, { path: `/restore-requests/${req.id}/break-glass`, params: { id: req.id }, body: { reason: 'production is down, cannot wait' } })).toMatchObject({
      status: 409,
      body: { error: { code: 'EXPIRED' } },
    });
    const other = await open(tier2, operator);
    await db().restoreRequest.update({ where: { id: other.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await expireRestoreRequests()).toBeGreaterThanOrEqual(1);
    expect(await db().restoreRequest.findUniqueOrThrow({ where: { id: other.id } })).toMatchObject({ status: 'EXPIRED', runId: null });
    expect(await db().auditEvent.count({ where: { targetId: other.id, action: 'restore-request.expire' } })).toBe(1);
    expect(await expireRestoreRequests()).toBe(0);
  });

  it('two concurrent approvals by one user count once (the unique key decides): one 200, one 409 ALREADY_DECIDED', async () => {
    const req = await open(tier2, operator);
    const [a, b] = await Promise.all([approve(req.id, approverA), approve(req.id, approverA)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect([a, b].find((r) => r.status === 409)!.body.error.code).toBe('ALREADY_DECIDED');
    expect(await db().restoreApproval.count({ where: { requestId: req.id } })).toBe(1);
    const after = (await call(oneRoute.GET, operator.token, { path: `/restore-requests/${req.id}`, method: 'GET', params: { id: req.id } })).body;
    expect(after).toMatchObject({ status: 'PENDING_APPROVAL', runId: null, approvals: [{ approver: { id: approverA.id } }] });
    // The same through the verb with session actors, twice at once.
    const req2 = await open(tier2, operator);
    const results = await Promise.allSettled([approveRestoreRequest({ actor: await sessionOf(approverB) }, req2.id, {}), approveRestoreRequest({ actor: await sessionOf(approverB) }, req2.id, {})]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && isDomainError(r.reason) && r.reason.code === 'ALREADY_DECIDED')).toHaveLength(1);
    expect(await db().restoreApproval.count({ where: { requestId: req2.id } })).toBe(1);
  });

  it('two different approvers at once on a two-approval request: executed once, one run', async () => {
    const req = await open(tier2, operator);
    const [a, b] = await Promise.all([approve(req.id, approverA), approve(req.id, approverB)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const row = await db().restoreRequest.findUniqueOrThrow({ where: { id: req.id } });
    expect(row.status).toBe('EXECUTED');
    expect(await db().run.count({ where: { restoreRequest: { id: req.id } } })).toBe(1);
    // Executing it again changes nothing.
    expect(await call(executeRoute.POST, operator.token, { path: `/restore-requests/${req.id}/execute`, params: { id: req.id } })).toMatchObject({ status: 409, body: { error: { code: 'INVALID_STATE' } } });
  });

  it('an edit (PATCH) bumps the version, records history and voids the approvals given so far', async () => {
    const req = await open(tier2, operator);
    expect((await approve(req.id, approverA)).status).toBe(200);
    const target = newTarget();
    const notMine = await call(oneRoute.PATCH, operator2.token, { path: `/restore-requests/${req.id}`, method: 'PATCH', params: { id: req.id }, body: { target } });
    expect(notMine).toMatchObject({ status: 403 });
    const edited = await call(oneRoute.PATCH, operator.token, { path: `/restore-requests/${req.id}`, method: 'PATCH', params: { id: req.id }, body: { target, reason: 'a better name' } });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ version: 2, target, reason: 'a better name', status: 'PENDING_APPROVAL', approvals: [] });
    expect(edited.body.history).toEqual([expect.objectContaining({ version: 1, target: req.target, reason: req.reason, paramsHash: expect.any(String) })]);
    expect(edited.body.decisions).toEqual([expect.objectContaining({ decision: 'APPROVE', version: 1, counts: false, voided: 'edited', approver: expect.objectContaining({ id: approverA.id }) })]);
    // The same approver may approve the new version; one more makes two that count.
    expect((await approve(req.id, approverA)).body).toMatchObject({ status: 'PENDING_APPROVAL', approvals: [{ version: 2 }] });
    expect((await approve(req.id, approverB)).body).toMatchObject({ status: 'EXECUTED' });
    const run = await db().run.findFirstOrThrow({ where: { restoreRequest: { id: req.id } } });
    expect(run.params).toMatchObject({ target });
  });

  it('a reason-only edit keeps the approvals (they are bound to point, target and mode)', async () => {
    const req = await open(tier2, operator);
    await approve(req.id, approverA);
    const edited = await call(oneRoute.PATCH, operator.token, { path: `/restore-requests/${req.id}`, method: 'PATCH', params: { id: req.id }, body: { reason: 'clarified why' } });
    expect(edited.body).toMatchObject({ version: 2, approvals: [{ approver: { id: approverA.id } }] });
  });

  it('roles are judged again: a since-demoted or disabled approver no longer counts', async () => {
    const [c, d] = await Promise.all([person('APPROVER'), person('APPROVER')]);
    const req = await open(tier2, operator);
    await approve(req.id, c);
    await db().user.update({ where: { id: c.id }, data: { role: 'VIEWER' } });
    const second = await approve(req.id, d);
    expect(second.body).toMatchObject({ status: 'PENDING_APPROVAL', approvals: [{ approver: { id: d.id } }] });
    expect(second.body.decisions.find((x: { approver: { id: string } }) => x.approver.id === c.id)).toMatchObject({ counts: false, voided: 'approver no longer eligible' });
    const req2 = await open(tier2, operator);
    const [e, f] = await Promise.all([person('APPROVER'), person('APPROVER')]);
    await approve(req2.id, e);
    await db().user.update({ where: { id: e.id }, data: { disabled: true } });
    expect((await approve(req2.id, f)).body).toMatchObject({ status: 'PENDING_APPROVAL', runId: null });
  });

  it('any approver’s rejection ends it (REJECTED); it can then be neither approved nor executed', async () => {
    const req = await open(tier2, operator);
    await approve(req.id, approverA);
    const rejected = await call(rejectRoute.POST, approverB.token, { path: `/restore-requests/${req.id}/reject`, params: { id: req.id }, body: { comment: 'wrong point' } });
    expect(rejected).toMatchObject({ status: 200, body: { status: 'REJECTED', runId: null } });
    expect(await approve(req.id, admin)).toMatchObject({ status: 409, body: { error: { code: 'INVALID_STATE' } } });
    expect(await call(breakGlassRoute.POST, admin.token, { path: `/restore-requests/${req.id}/break-glass`, params: { id: req.id }, body: { reason: 'production is down, cannot wait' } })).toMatchObject({ status: 409 });
  });

  it('cancel: not by another operator (403); by the requester (CANCELLED)', async () => {
    const req = await open(tier1, operator);
    expect(await call(cancelRoute.POST, operator2.token, { path: `/restore-requests/${req.id}/cancel`, params: { id: req.id } })).toMatchObject({ status: 403 });
    expect(await call(cancelRoute.POST, operator.token, { path: `/restore-requests/${req.id}/cancel`, params: { id: req.id } })).toMatchObject({ status: 200, body: { status: 'CANCELLED' } });
    expect(await approve(req.id, approverA)).toMatchObject({ status: 409 });
  });
});

const destructiveMode = getEngine('postgres').restoreModes.find((m) => m.destructive)?.mode;

describe.skipIf(destructiveMode === undefined)('a destructive mode', () => {
  it('needs the typed confirmation (422 naming confirm), one approval more than the tier, one of them an admin’s', async () => {
    const body = { recoveryPointId: tier1.pointId, target: { database: tier1.sourceDb }, mode: destructiveMode, reason: 'roll the database back' };
    const wrong = await call(listRoute.POST, operator.token, { path: '/restore-requests', body: { ...body, confirm: 'something else' } });
    expect(wrong).toMatchObject({ status: 422, body: { error: { code: 'VALIDATION', details: { issues: [{ path: ['confirm'] }] } } } });
    // Words the dialog shows as they are: what is wrong, and what to type.
    expect(wrong.body.error.details.issues[0].message).toBe(`does not match: a restore over the existing database replaces what is there, so type "${tier1.sourceDb}" to confirm`);
    const missing = await call(listRoute.POST, operator.token, { path: '/restore-requests', body });
    expect(missing).toMatchObject({ status: 422, body: { error: { details: { issues: [{ path: ['confirm'], message: expect.stringMatching(/^is required: /) }] } } } });
    const ok = await call(listRoute.POST, operator.token, { path: '/restore-requests', body: { ...body, confirm: tier1.sourceDb } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({ destructive: true, requiredApprovals: 2, requiresAdminApproval: true, risk: { destructive: true, replaces: expect.stringContaining(tier1.sourceDb) } });
    expect(ok.body.rule).toMatch(/1 approval \+ 1 for a destructive restore, one of them from an admin/);
    // Two approvers are two approvals, but no admin among them: still waiting.
    await approve(ok.body.id, approverA);
    expect((await approve(ok.body.id, approverB)).body).toMatchObject({ status: 'PENDING_APPROVAL', approvals: [{}, {}] });
    const done = await approve(ok.body.id, admin);
    expect(done.body).toMatchObject({ status: 'EXECUTED' });
    const run = await db().run.findUniqueOrThrow({ where: { id: done.body.runId } });
    expect(run.params).toMatchObject({ mode: destructiveMode, target: { database: tier1.sourceDb } });
    // The shortcut asks for the same confirmation, also for a source without a tier (1 approval, an admin's).
    const shortcut = await call(restoresRoute.POST, operator.token, {
      path: `/recovery-points/${untiered.pointId}/restores`,
      params: { id: untiered.pointId },
      body: { target: { database: untiered.sourceDb }, mode: destructiveMode, confirm: untiered.sourceDb },
    });
    expect(shortcut).toMatchObject({ status: 202, body: { status: 'PENDING_APPROVAL', requiredApprovals: 1, requiresAdminApproval: true } });
  });
});

describe('requestRestore (the direct path, for callers without a person)', () => {
  it('refuses a source whose rule needs approval', async () => {
    const system = { type: 'system' as const, id: null, label: 'approvals test', role: 'OPERATOR' as const };
    await expect(requestRestore({ actor: system }, tier1.pointId, { target: newTarget() })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/need approval/) });
    await expect(requestRestore({ actor: system }, untiered.pointId, { target: newTarget() })).resolves.toMatchObject({ kind: 'RESTORE', status: 'QUEUED' });
  });
});

describe('break-glass', () => {
  const reason = 'orders database lost, the approvers are unreachable';

  it('only an admin, with a reason of 15 characters; marks request and run; flagged until another approver acknowledges', async () => {
    const req = await open(tier2, operator);
    const bg = (who: Person, body: unknown) => call(breakGlassRoute.POST, who.token, { path: `/restore-requests/${req.id}/break-glass`, params: { id: req.id }, body });
    expect(await bg(operator, { reason })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await bg(approverA, { reason })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await bg(admin, { reason: 'too short' })).toMatchObject({ status: 422, body: { error: { code: 'VALIDATION' } } });
    const done = await bg(admin, { reason });
    expect(done).toMatchObject({ status: 200, body: { status: 'EXECUTED', breakGlass: true, breakGlassReason: reason, breakGlassAcknowledged: false, breakGlassBy: { id: admin.id } } });
    const run = await db().run.findUniqueOrThrow({ where: { id: done.body.runId } });
    expect(run.breakGlass).toBe(true);
    expect(await db().auditEvent.count({ where: { targetId: req.id, action: 'restore-request.break-glass' } })).toBe(1);

    const ack = (who: Person) => call(acknowledgeRoute.POST, who.token, { path: `/restore-requests/${req.id}/acknowledge`, params: { id: req.id } });
    expect(await ack(operator)).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect(await ack(admin)).toMatchObject({ status: 403, body: { error: { code: 'SELF_APPROVAL' } } });
    expect(await ack(approverA)).toMatchObject({ status: 200, body: { breakGlassAcknowledged: true, breakGlassAcknowledgedBy: { id: approverA.id } } });
    expect(await ack(admin2)).toMatchObject({ status: 409 });
  });

  it('GET ?breakGlass=unacknowledged lists exactly those not yet acknowledged, past newer requests; true and false split the rest', async () => {
    const req = await open(tier2, operator);
    const done = await call(breakGlassRoute.POST, admin.token, { path: `/restore-requests/${req.id}/break-glass`, params: { id: req.id }, body: { reason } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    // A newer request that is no break-glass: the filter, not the page's order, finds the older one.
    const newer = await open(tier2, operator);
    const list = async (query: string) => {
      const res = await call(listRoute.GET, approverA.token, { path: `/restore-requests?${query}`, method: 'GET' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.items as { id: string; breakGlass: boolean; breakGlassAcknowledged: boolean }[];
    };
    const unacked = await list('breakGlass=unacknowledged');
    expect(unacked.map((r) => r.id)).toContain(req.id);
    expect(unacked.every((r) => r.breakGlass && !r.breakGlassAcknowledged)).toBe(true);
    const [first] = await list('breakGlass=unacknowledged&limit=1');
    expect(first).toMatchObject({ breakGlass: true, breakGlassAcknowledged: false });
    expect((await list('breakGlass=true')).map((r) => r.id)).toContain(req.id);
    const others = await list('breakGlass=false');
    expect(others.map((r) => r.id)).toContain(newer.id);
    expect(others.every((r) => !r.breakGlass)).toBe(true);
    // Combined with the other filters.
    expect((await list(`breakGlass=unacknowledged&status=EXECUTED`)).map((r) => r.id)).toContain(req.id);
    expect(await list('breakGlass=unacknowledged&status=PENDING_APPROVAL')).toEqual([]);

    await call(acknowledgeRoute.POST, approverA.token, { path: `/restore-requests/${req.id}/acknowledge`, params: { id: req.id } });
    expect((await list('breakGlass=unacknowledged')).map((r) => r.id)).not.toContain(req.id);
    expect((await list('breakGlass=true')).map((r) => r.id)).toContain(req.id);
    const bad = await call(listRoute.GET, approverA.token, { path: '/restore-requests?breakGlass=yes', method: 'GET' });
    expect(bad).toMatchObject({ status: 422, body: { error: { code: 'VALIDATION' } } });
  });
});

describe("a tier's restoreApprovals", () => {
  it('is shown, set only by an admin, 0 to 5', async () => {
    const id = tier1.tierId!;
    const patch = (who: Person, body: unknown) => call(tierRoute.PATCH, who.token, { path: `/tiers/${id}`, method: 'PATCH', params: { id }, body });
    expect(await patch(operator, { restoreApprovals: 0 })).toMatchObject({ status: 403 });
    expect(await patch(admin, { restoreApprovals: 6 })).toMatchObject({ status: 422 });
    expect(await patch(admin, { restoreApprovals: 3 })).toMatchObject({ status: 200, body: { restoreApprovals: 3 } });
    expect(await patch(admin, { restoreApprovals: 1 })).toMatchObject({ status: 200, body: { restoreApprovals: 1 } });
    expect(await patch(operator, { rpoSeconds: 3600 })).toMatchObject({ status: 200, body: { restoreApprovals: 1 } });
  });
});
