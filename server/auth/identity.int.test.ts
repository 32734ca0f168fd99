import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
// The route handlers read `req.nextUrl`: the test builds the request Next builds (as the hostile sweep does).
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- see above
import { NextRequest } from 'next/server';
import { afterAll, describe, expect, it } from 'vitest';
import * as kitRoute from '@/app/api/v1/keys/recovery-kit/route';
import * as tokenRoute from '@/app/api/v1/tokens/[id]/route';
import * as tokensRoute from '@/app/api/v1/tokens/route';
import * as userRoute from '@/app/api/v1/users/[id]/route';
import * as usersRoute from '@/app/api/v1/users/route';
import { exportRecoveryKit } from '@/server/keys';
import { db, disconnectDb } from '@/server/shared/db';
import { uniqueName } from '@/server/testing/pg';
import { authenticateApiToken, createApiToken } from './api-tokens';
import { updateUser } from './manage-users';
import { signInWithOidc, type OidcSettings } from './oidc';
import { SYSTEM_ACTOR, type Actor } from './permissions';
import { actorForUser, createUser } from './users';

// Issue 9, item 7: revoked tokens and disabled users are refused on their next request; users are managed by admins
// only, never down to no enabled admin; OIDC sign-ins find or make the user and take the role from the claim; the
// recovery kit needs a session and the password again.

const MARK = uniqueName('identity');
const made: string[] = [];
const password = () => crypto.randomBytes(18).toString('base64url');

async function makeUser(role: Actor['role'], pw = password()) {
  const u = await createUser({ actor: SYSTEM_ACTOR }, { email: `${uniqueName(MARK)}@example.test`, name: 'identity test', password: pw, role });
  made.push(u.id);
  return { ...u, password: pw, actor: { type: 'user', id: u.id, label: u.email, role, userId: u.id } as Actor };
}

async function tokenFor(userId: string, role: Actor['role'] = 'ADMIN') {
  return createApiToken({ actor: SYSTEM_ACTOR }, userId, { name: `${MARK}-token`, role });
}

type Handler = (req: NextRequest, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
async function call(handler: unknown, method: string, url: string, token: string, { params = {}, body }: { params?: Record<string, string>; body?: unknown } = {}) {
  const req = new NextRequest(`http://127.0.0.1${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const res = await (handler as Handler)(req, { params: Promise.resolve(params) });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // the recovery kit is text
  }
  return { status: res.status, body: json as Record<string, unknown> & { error?: { code: string; message: string } } };
}

afterAll(async () => {
  await db().user.deleteMany({ where: { id: { in: made } } });
  await disconnectDb();
});

describe('API tokens: revoke', () => {
  it('DELETE /tokens/{id} revokes (audited once, idempotent); the token is refused on its next request', async () => {
    const admin = await makeUser('ADMIN');
    const adminToken = (await tokenFor(admin.id)).token;
    const victim = await tokenFor(admin.id, 'OPERATOR');
    expect((await call(tokensRoute.GET, 'GET', '/api/v1/tokens', victim.token)).status).toBe(403); // works, but an operator

    const first = await call(tokenRoute.DELETE, 'DELETE', `/api/v1/tokens/${victim.id}`, adminToken, { params: { id: victim.id } });
    expect(first).toMatchObject({ status: 200, body: { id: victim.id, revokedAt: expect.any(String) } });
    expect(await authenticateApiToken(victim.token)).toBeNull();
    expect(await call(tokensRoute.GET, 'GET', '/api/v1/tokens', victim.token)).toMatchObject({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: 'API token is unknown, revoked or expired' } },
    });

    // Again: 200 with the first revocation's time, no second event.
    const again = await call(tokenRoute.DELETE, 'DELETE', `/api/v1/tokens/${victim.id}`, adminToken, { params: { id: victim.id } });
    expect(again).toMatchObject({ status: 200, body: { revokedAt: first.body.revokedAt } });
    const events = await db().auditEvent.findMany({ where: { action: 'token.revoke', targetId: victim.id } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorType: 'token', actorUserId: admin.id, details: { name: `${MARK}-token`, owner: admin.email } });

    const unknown = crypto.randomUUID();
    expect((await call(tokenRoute.DELETE, 'DELETE', `/api/v1/tokens/${unknown}`, adminToken, { params: { id: unknown } })).status).toBe(404);
    // Only token:manage revokes.
    const operator = await makeUser('OPERATOR');
    const opToken = await tokenFor(operator.id, 'OPERATOR');
    expect((await call(tokenRoute.DELETE, 'DELETE', `/api/v1/tokens/${opToken.id}`, opToken.token, { params: { id: opToken.id } })).body.error?.code).toBe('FORBIDDEN');
  });
});

describe('users: admins manage them; a disabled user is refused on the next request', () => {
  it('creates, lists, changes role and disables through the API, audited; the disabled user is refused at once', async () => {
    const admin = await makeUser('ADMIN');
    const adminToken = (await tokenFor(admin.id)).token;
    const email = `${uniqueName(MARK)}@example.test`;
    const created = await call(usersRoute.POST, 'POST', '/api/v1/users', adminToken, { body: { email, name: 'New Operator', role: 'OPERATOR', password: 'short' } });
    expect(created).toMatchObject({ status: 422, body: { error: { code: 'VALIDATION', message: expect.stringMatching(/password.*12 characters/) } } });
    const ok = await call(usersRoute.POST, 'POST', '/api/v1/users', adminToken, { body: { email, name: 'New Operator', role: 'OPERATOR', password: 'correct horse battery' } });
    expect(ok).toMatchObject({ status: 201, body: { email, role: 'OPERATOR', disabled: false, signIn: ['password'] } });
    const id = ok.body.id as string;
    made.push(id);
    const list = await call(usersRoute.GET, 'GET', '/api/v1/users', adminToken);
    const listed = (list.body.items as Array<{ id: string }>).find((u) => u.id === id);
    expect(listed).toMatchObject({ email, role: 'OPERATOR' });
    expect(listed).not.toHaveProperty('passwordHash');

    const theirToken = (await tokenFor(id, 'OPERATOR')).token;
    expect((await call(tokensRoute.GET, 'GET', '/api/v1/tokens', theirToken)).status).toBe(403); // authenticated, not allowed
    expect((await actorForUser(id))?.role).toBe('OPERATOR');

    const promoted = await call(userRoute.PATCH, 'PATCH', `/api/v1/users/${id}`, adminToken, { params: { id }, body: { role: 'APPROVER', name: 'Now Approver' } });
    expect(promoted).toMatchObject({ status: 200, body: { role: 'APPROVER', name: 'Now Approver' } });
    // The session path re-reads the user per request: the new role counts at once.
    expect((await actorForUser(id))?.role).toBe('APPROVER');

    const disabled = await call(userRoute.PATCH, 'PATCH', `/api/v1/users/${id}`, adminToken, { params: { id }, body: { disabled: true } });
    expect(disabled).toMatchObject({ status: 200, body: { disabled: true } });
    // Next request of the session: no actor (the route wrapper answers 401); of the token: 401.
    expect(await actorForUser(id)).toBeNull();
    expect(await call(tokensRoute.GET, 'GET', '/api/v1/tokens', theirToken)).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
    // Enabled again: the token was never revoked, it works again.
    await call(userRoute.PATCH, 'PATCH', `/api/v1/users/${id}`, adminToken, { params: { id }, body: { disabled: false } });
    expect((await call(tokensRoute.GET, 'GET', '/api/v1/tokens', theirToken)).status).toBe(403);

    const events = await db().auditEvent.findMany({ where: { action: { in: ['user.create', 'user.update'] }, targetId: id }, orderBy: { id: 'asc' } });
    expect(events.map((e) => [e.action, e.details])).toEqual([
      ['user.create', { email, role: 'OPERATOR' }],
      ['user.update', { email, role: { from: 'OPERATOR', to: 'APPROVER' }, name: { from: 'New Operator', to: 'Now Approver' } }],
      ['user.update', { email, disabled: { from: false, to: true } }],
      ['user.update', { email, disabled: { from: true, to: false } }],
    ]);

    // Admins only, and the body is checked.
    expect((await call(userRoute.PATCH, 'PATCH', `/api/v1/users/${id}`, theirToken, { params: { id }, body: { role: 'ADMIN' } })).body.error?.code).toBe('FORBIDDEN');
    expect((await call(usersRoute.GET, 'GET', '/api/v1/users', theirToken)).body.error?.code).toBe('FORBIDDEN');
    expect((await call(userRoute.PATCH, 'PATCH', `/api/v1/users/${id}`, adminToken, { params: { id }, body: {} })).status).toBe(422);
    expect((await call(userRoute.PATCH, 'PATCH', `/api/v1/users/${id}`, adminToken, { params: { id }, body: { role: 'ROOT' } })).status).toBe(422);
    expect((await call(userRoute.PATCH, 'PATCH', `/api/v1/users/${id}`, adminToken, { params: { id }, body: { passwordHash: 'x' } })).status).toBe(422);
  });

  it('refuses (409) to disable or demote the last enabled admin, themselves included; another admin left, it is allowed', async () => {
    const a = await makeUser('ADMIN');
    const b = await makeUser('ADMIN');
    // Other tests' admins share this database: make a and b the only enabled admins inside a transaction that is
    // rolled back at the end, and run the verb in it.
    const rollback = new Error('rollback');
    const outcome = await db()
      .$transaction(async (tx) => {
        await tx.user.updateMany({ where: { role: 'ADMIN', id: { notIn: [a.id, b.id] } }, data: { disabled: true } });
        const demoteB = await updateUser({ actor: a.actor, tx }, b.id, { role: 'OPERATOR' });
        expect(demoteB.role).toBe('OPERATOR');
        const results = [];
        for (const patch of [{ disabled: true }, { role: 'VIEWER' }]) {
          results.push(await updateUser({ actor: a.actor, tx }, a.id, patch).then(() => 'changed', (e: { code: string; message: string }) => `${e.code}: ${e.message}`));
        }
        // Renaming the last admin is fine.
        results.push((await updateUser({ actor: a.actor, tx }, a.id, { name: 'Last Admin' })).name);
        throw Object.assign(rollback, { results });
      })
      .catch((e: unknown) => e);
    expect(outcome).toBe(rollback);
    expect((rollback as Error & { results: string[] }).results).toEqual([
      'CONFLICT: you are the last enabled admin: make another user admin first',
      'CONFLICT: you are the last enabled admin: make another user admin first',
      'Last Admin',
    ]);
    // Outside that transaction nothing changed, and with other admins about a can step down.
    expect((await db().user.findUniqueOrThrow({ where: { id: b.id } })).role).toBe('ADMIN');
    expect((await updateUser({ actor: a.actor }, a.id, { role: 'OPERATOR' })).role).toBe('OPERATOR');
  });
});

describe('OIDC sign-in: find or create by (issuer, subject), role from the claim', () => {
  const settings: OidcSettings = {
    issuer: `https://${MARK}.idp.test`,
    clientId: 'lifeboat',
    clientSecret: 'secret',
    name: 'Test IdP',
    roleClaim: 'lifeboat_role',
    roleMap: { admins: 'ADMIN', ops: 'OPERATOR' },
  };
  const identity = (subject: string, email: string, claims: Record<string, unknown>, emailVerified = true) => ({
    issuer: settings.issuer,
    subject,
    email,
    emailVerified,
    name: 'Olga Ops',
    claims,
  });

  it('creates a password-less user, updates the role every sign-in, refuses unmapped claims and disabled users', async () => {
    const email = `${uniqueName(MARK)}@example.test`;
    const first = await signInWithOidc(identity('sub-1', email, { lifeboat_role: 'ops' }), settings);
    expect(first).toMatchObject({ ok: true, actor: { type: 'user', role: 'OPERATOR', label: email } });
    const id = (first as { actor: Actor }).actor.id!;
    made.push(id);
    const row = await db().user.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ passwordHash: null, oidcIssuer: settings.issuer, oidcSubject: 'sub-1', name: 'Olga Ops', lastSignInAt: expect.any(Date) });

    // Next sign-in, now in the admins group (and still ops): the widest role wins, the same user.
    const second = await signInWithOidc(identity('sub-1', email, { lifeboat_role: ['ops', 'admins'] }), settings);
    expect(second).toMatchObject({ ok: true, actor: { id, role: 'ADMIN' } });
    // Out of every mapped group: refused, and the stored role is left as it was (it cannot be used without a sign-in).
    expect(await signInWithOidc(identity('sub-1', email, { lifeboat_role: 'interns' }), settings)).toEqual({ ok: false, reason: 'OidcNoRole' });
    expect(await signInWithOidc(identity('sub-1', email, {}), settings)).toEqual({ ok: false, reason: 'OidcNoRole' });

    const admin = await makeUser('ADMIN');
    await updateUser({ actor: admin.actor }, id, { disabled: true });
    expect(await signInWithOidc(identity('sub-1', email, { lifeboat_role: 'ops' }), settings)).toEqual({ ok: false, reason: 'OidcDisabled' });

    const events = await db().auditEvent.findMany({ where: { targetId: id, action: { in: ['user.create', 'user.sign-in'] } }, orderBy: { id: 'asc' } });
    expect(events.map((e) => [e.action, e.actorUserId, e.details])).toEqual([
      ['user.create', id, { email, role: 'OPERATOR', via: 'oidc', issuer: settings.issuer }],
      ['user.sign-in', id, { method: 'oidc', issuer: settings.issuer, role: 'OPERATOR' }],
      ['user.sign-in', id, { method: 'oidc', issuer: settings.issuer, role: 'ADMIN', previousRole: 'OPERATOR' }],
    ]);
  });

  it('links an existing user by email only when the provider verified it and the user has no OIDC identity yet', async () => {
    const existing = await makeUser('VIEWER');
    expect(await signInWithOidc(identity('sub-link', existing.email, { lifeboat_role: 'ops' }, false), settings)).toEqual({ ok: false, reason: 'OidcEmailTaken' });
    const linked = await signInWithOidc(identity('sub-link', existing.email, { lifeboat_role: 'ops' }), settings);
    expect(linked).toMatchObject({ ok: true, actor: { id: existing.id, role: 'OPERATOR' } });
    expect(await db().user.findUniqueOrThrow({ where: { id: existing.id } })).toMatchObject({ oidcSubject: 'sub-link', passwordHash: expect.any(String) });
    // Another identity with the same (verified) email cannot take the linked user over.
    expect(await signInWithOidc(identity('sub-other', existing.email, { lifeboat_role: 'admins' }), settings)).toEqual({ ok: false, reason: 'OidcEmailTaken' });
  });
});

describe('recovery kit: a signed-in admin, with the password again', () => {
  it('refuses tokens (403 SESSION_REQUIRED), a wrong password and password-less users; exports with the password, audited', async () => {
    const admin = await makeUser('ADMIN');
    const adminToken = (await tokenFor(admin.id)).token;
    expect(await call(kitRoute.POST, 'POST', '/api/v1/keys/recovery-kit', adminToken, { body: { password: admin.password } })).toMatchObject({
      status: 403,
      body: { error: { code: 'SESSION_REQUIRED', message: expect.stringMatching(/never with an API token/) } },
    });
    expect((await call(kitRoute.GET, 'GET', '/api/v1/keys/recovery-kit', adminToken)).status).toBe(405);

    const request = { id: crypto.randomUUID(), ip: '203.0.113.9', userAgent: 'identity-test' };
    const session: Actor = { ...admin.actor, request };
    const formatDoc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/FORMAT.md'), 'utf8');
    await expect(exportRecoveryKit({ actor: session }, formatDoc, {})).rejects.toMatchObject({ name: 'ZodError' });
    await expect(exportRecoveryKit({ actor: session }, formatDoc, { password: 'not the password' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: 'the password is not correct',
    });
    const kit = await exportRecoveryKit({ actor: session }, formatDoc, { password: admin.password });
    expect(kit).toMatch(/^# Lifeboat recovery kit/);
    expect(kit).toContain('## Identities (age)');
    expect(kit).toContain('## Restoring without Lifeboat');

    const events = await db().auditEvent.findMany({ where: { action: 'key.export', actorUserId: admin.id }, orderBy: { id: 'asc' } });
    expect(events.map((e) => [e.result, e.ip, e.userAgent, e.requestId])).toEqual([
      ['refused', request.ip, request.userAgent, request.id],
      ['ok', request.ip, request.userAgent, request.id],
    ]);

    // An OIDC-only admin has no password to enter again.
    const oidcOnly = await db().user.create({ data: { email: `${uniqueName(MARK)}@example.test`, name: 'sso admin', role: 'ADMIN', passwordHash: null, oidcIssuer: 'https://idp.test', oidcSubject: MARK } });
    made.push(oidcOnly.id);
    const sso: Actor = { type: 'user', id: oidcOnly.id, label: oidcOnly.email, role: 'ADMIN', userId: oidcOnly.id };
    await expect(exportRecoveryKit({ actor: sso }, formatDoc, { password: 'anything at all' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(/needs an account with a password/),
    });
    // Not an admin: refused before anything else.
    const operator = await makeUser('OPERATOR');
    await expect(exportRecoveryKit({ actor: operator.actor }, formatDoc, { password: operator.password })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
