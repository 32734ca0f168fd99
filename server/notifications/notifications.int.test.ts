/**
 * Issue 11, item 3: notification channels through the real route handlers (bearer tokens), real HTTP and SMTP
 * receivers on 127.0.0.1, and the SSRF guard: every private, loopback or link-local address, in every spelling, is
 * refused and nothing reaches the receiver unless the channel allow-lists it (`127.0.0.1/32`).
 */
// The handlers read `req.nextUrl`, so the test builds the request Next builds; only tests load next/server.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- see above
import { NextRequest } from 'next/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { person, cleanupAll, type Person } from '@/server/approvals/test-fixtures';
import { verifyAuditChain } from '@/server/audit/verify-audit-chain';
import { closeProducer } from '@/server/jobs/producer';
import { db, disconnectDb } from '@/server/shared/db';
import { uniqueName } from '@/server/testing/pg';
import * as listRoute from '@/app/api/v1/notification-channels/route';
import * as oneRoute from '@/app/api/v1/notification-channels/[id]/route';
import * as testRoute from '@/app/api/v1/notification-channels/[id]/test/route';
import * as deliveriesRoute from '@/app/api/v1/notification-channels/[id]/deliveries/route';
import { postJson } from './outbound/post-json';
import { parseAllowList } from './outbound/safe-address';
import { startHttpReceiver, startSmtpSink, type HttpReceiver, type SmtpSink } from './testing/receivers';

// Nothing here consumes jobs; the prefix keeps anything enqueued away from other files' workers.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-notify-api');

type Handler<P> = (req: NextRequest, ctx: { params: Promise<P> }) => Promise<Response> | Response;

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

let admin: Person;
let operator: Person;
let receiver: HttpReceiver;
let other: HttpReceiver;
let redirector: HttpReceiver;
let sink: SmtpSink;
const channelIds: string[] = [];

const create = async (body: Record<string, unknown>, who: Person = admin) => {
  const res = await call(listRoute.POST, who.token, { path: '/notification-channels', body: { name: uniqueName('chan'), events: ['backup.failed'], ...body } });
  if (res.status === 201) channelIds.push(res.body.id as string);
  return res;
};
const sendTest = (id: string, who: Person = admin) => call(testRoute.POST, who.token, { path: `/notification-channels/${id}/test`, params: { id } });

beforeAll(async () => {
  [admin, operator] = await Promise.all([person('ADMIN'), person('OPERATOR')]);
  receiver = await startHttpReceiver();
  other = await startHttpReceiver();
  // Answers every request with a redirect to `other`: a public receiver pointing the request somewhere internal.
  redirector = await startHttpReceiver(() => ({ status: 302, headers: { location: other.url } }));
  sink = await startSmtpSink({ user: 'lifeboat', password: 'sink-password-1' });
});

afterAll(async () => {
  await db().notificationChannel.deleteMany({ where: { id: { in: channelIds } } });
  await Promise.all([receiver.close(), other.close(), redirector.close(), sink.close()]);
  await cleanupAll();
  await closeProducer();
  await disconnectDb();
});

describe('SSRF guard', () => {
  const port = () => receiver.port;
  const spellings = () => [
    ['127.0.0.1', `http://127.0.0.1:${port()}/hook`],
    ['::1', `http://[::1]:${port()}/hook`],
    ['169.254.169.254', `http://169.254.169.254:${port()}/latest/meta-data`],
    ['10.0.0.1', `http://10.0.0.1:${port()}/hook`],
    ['2130706433', `http://2130706433:${port()}/hook`],
    ['0x7f.1', `http://0x7f.1:${port()}/hook`],
    ['::ffff:127.0.0.1', `http://[::ffff:127.0.0.1]:${port()}/hook`],
  ];

  it('refuses a channel whose URL is a private, loopback or link-local address in any spelling (422 naming config.url)', async () => {
    for (const [what, url] of spellings()) {
      const res = await create({ kind: 'webhook', config: { url } });
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(422);
      expect(res.body.error.details.issues[0].path, what).toEqual(['config', 'url']);
      expect(res.body.error.message, what).toMatch(/refused: .* is not a public address \((loopback|private|linkLocal)\)/);
    }
    expect(receiver.received).toHaveLength(0);
  });

  it('the sender itself refuses them too, and sends nothing (no allow-list entry)', async () => {
    for (const [what, url] of spellings()) {
      const outcome = await postJson(new URL(url!), '{}', { allow: parseAllowList([]), timeoutMs: 2_000 });
      expect(outcome, what).toMatchObject({ ok: false, permanent: true, response: null });
      expect(outcome.error, what).toMatch(/^refused to contact /);
    }
    expect(receiver.received).toHaveLength(0);
  });

  it('refuses a name that resolves to loopback (localhost) at the send, and sends nothing', async () => {
    const made = await create({ kind: 'webhook', config: { url: `http://localhost:${receiver.port}/hook` } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const res = await sendTest(made.body.id as string);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: false, status: 'FAILED' });
    expect(res.body.error).toMatch(/^refused to contact localhost: it resolves to (127\.0\.0\.1|::1) is not a public address \(loopback\)/);
    expect(receiver.received).toHaveLength(0);
  });

  it('does not follow a redirect to loopback: a 3xx is a failed delivery, the redirect target sees nothing', async () => {
    const made = await create({ kind: 'webhook', config: { url: redirector.url }, allowCidrs: ['127.0.0.1/32'] });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const res = await sendTest(made.body.id as string);
    expect(res.body).toMatchObject({ ok: false, status: 'FAILED', response: expect.stringMatching(/^HTTP 302/) as unknown });
    expect(res.body.error).toMatch(/answered 302, a redirect; redirects are not followed/);
    expect(redirector.received).toHaveLength(1);
    expect(other.received).toHaveLength(0);
  });

  it('connects to the address it checked: a name resolved once (here by a stub resolver), Host and path kept', async () => {
    const before = other.received.length;
    const lookup = async (host: string) => (host === 'receiver.test' ? [{ address: '127.0.0.1', family: 4 }] : []);
    const url = new URL(`http://receiver.test:${other.port}/hook?x=1`);
    const refused = await postJson(url, '{"a":1}', { allow: parseAllowList([]), timeoutMs: 2_000, lookup });
    expect(refused.error).toMatch(/^refused to contact receiver\.test: it resolves to 127\.0\.0\.1/);
    const sent = await postJson(url, '{"a":1}', { allow: parseAllowList(['127.0.0.1/32']), timeoutMs: 2_000, lookup });
    expect(sent).toMatchObject({ ok: true, response: 'HTTP 200 ok' });
    expect(other.received.length).toBe(before + 1);
    expect(other.received.at(-1)).toMatchObject({ path: '/hook?x=1', body: '{"a":1}', headers: { host: `receiver.test:${other.port}` } });
  });

  it('reaches the receiver only through an explicit allow-list entry, signed', async () => {
    const made = await create({ kind: 'webhook', config: { url: receiver.url }, allowCidrs: ['127.0.0.1'], events: ['backup.failed', 'restore.requested'] });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    // Stored canonical; the URL sealed and never shown; the signing secret shown this once.
    expect(made.body).toMatchObject({ kind: 'webhook', allowCidrs: ['127.0.0.1/32'], config: { url: '(sealed)', urlHost: `127.0.0.1:${receiver.port}` }, hasSigningSecret: true });
    expect(made.body.signingSecret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    receiver.secret = made.body.signingSecret as string;
    const res = await sendTest(made.body.id as string);
    expect(res.body, JSON.stringify(res.body)).toMatchObject({ ok: true, status: 'SENT', error: null, response: 'HTTP 200 ok' });
    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    expect(got.signature).toBeNull();
    expect(got.headers['x-lifeboat-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(got.json).toMatchObject({ event: 'test', summary: expect.stringContaining(made.body.name as string) as unknown, link: expect.stringMatching(/\/notifications$/) as unknown });

    // The answer of a later read never holds the secret or the URL; nor does the audit trail.
    const read = await call(oneRoute.GET, operator.token, { path: `/notification-channels/${made.body.id}`, method: 'GET', params: { id: made.body.id as string } });
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).not.toContain('/hook');
    expect(JSON.stringify(read.body)).not.toContain(receiver.secret);
    const audit = await db().auditEvent.findMany({ where: { targetId: made.body.id as string }, orderBy: { id: 'asc' } });
    expect(audit.map((e) => [e.action, e.result])).toEqual([
      ['notification-channel.create', 'ok'],
      ['notification-channel.test', 'ok'],
    ]);
    expect(JSON.stringify(audit.map((e) => e.details))).not.toContain('/hook');
    expect(JSON.stringify(audit.map((e) => e.details))).not.toContain(receiver.secret);

    // The delivery log shows the test, newest first, with its answer.
    const log = await call(deliveriesRoute.GET, operator.token, { path: `/notification-channels/${made.body.id}/deliveries`, method: 'GET', params: { id: made.body.id as string } });
    expect(log.body.items).toEqual([expect.objectContaining({ event: 'test', status: 'SENT', attempts: 1, lastError: null, lastResponse: 'HTTP 200 ok' })]);

    // Removing the allow-list entry is refused while the URL names that address (nothing stored that every send refuses).
    const narrowed = await call(oneRoute.PATCH, admin.token, { path: `/notification-channels/${made.body.id}`, method: 'PATCH', params: { id: made.body.id as string }, body: { allowCidrs: [] } });
    expect(narrowed.status).toBe(422);
    expect(narrowed.body.error.message).toMatch(/^config\.url: refused: 127\.0\.0\.1 is not a public address \(loopback\)/);

    // A rotated secret is shown once and signs from then on; the old one no longer verifies.
    const rotated = await call(oneRoute.PATCH, admin.token, { path: `/notification-channels/${made.body.id}`, method: 'PATCH', params: { id: made.body.id as string }, body: { rotateSigningSecret: true } });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body.signingSecret).toMatch(/^whsec_/);
    expect(rotated.body.signingSecret).not.toBe(receiver.secret);
    await sendTest(made.body.id as string);
    expect(receiver.received[1]!.signature).toBe('signature does not match');
    receiver.secret = rotated.body.signingSecret as string;
    await sendTest(made.body.id as string);
    expect(receiver.received[2]!.signature).toBeNull();
  });
});

describe('channels over the API', () => {
  it('keeps writing to admins: an operator reads the list (200) but may not create, change, test or delete (403)', async () => {
    const made = await create({ kind: 'slack', config: { url: 'https://hooks.slack.com/services/T000/B000/XXXX' } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.config).toEqual({ url: '(sealed)', urlHost: 'hooks.slack.com' });
    expect(made.body.signingSecret).toBeUndefined();
    const id = made.body.id as string;
    const list = await call(listRoute.GET, operator.token, { path: '/notification-channels', method: 'GET' });
    expect(list.status).toBe(200);
    expect(list.body.items.find((c: { id: string }) => c.id === id)).toMatchObject({ name: made.body.name, kind: 'slack', events: ['backup.failed'], lastDelivery: null });
    expect(JSON.stringify(list.body)).not.toContain('XXXX');

    const refused = await create({ kind: 'webhook', config: { url: receiver.url } }, operator);
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN', message: 'An operator may not change notification channels' } } });
    expect((await call(oneRoute.PATCH, operator.token, { path: `/notification-channels/${id}`, method: 'PATCH', params: { id }, body: { allowCidrs: ['10.0.0.0/8'] } })).status).toBe(403);
    expect((await sendTest(id, operator)).status).toBe(403);
    expect((await call(oneRoute.DELETE, operator.token, { path: `/notification-channels/${id}`, method: 'DELETE', params: { id } })).status).toBe(403);
  });

  it('answers zod issues at the fields: unknown event, bad URL, bad CIDR, too broad a CIDR, unknown config key', async () => {
    const bad = await create({ kind: 'webhook', config: { url: 'ftp://example.com/x', extra: 1 }, events: ['backup.failed', 'backup.exploded'], allowCidrs: ['10.0.0.0/33', '0.0.0.0/0'] });
    expect(bad.status).toBe(422);
    const paths = (bad.body.error.details.issues as Array<{ path: string[] }>).map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['events.1', 'allowCidrs.0', 'allowCidrs.1']));
    const badConfig = await create({ kind: 'webhook', config: { url: 'ftp://example.com/x', extra: 1 } });
    expect(badConfig.status).toBe(422);
    expect((badConfig.body.error.details.issues as Array<{ path: string[] }>).map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['config.url', 'config']));
    const email = await create({ kind: 'email', config: { host: 'smtp.example.com', from: 'not-an-address', to: [] } });
    expect((email.body.error.details.issues as Array<{ path: string[] }>).map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['config.from', 'config.to']));
    const dup = await create({ kind: 'slack', name: 'x', config: { url: 'https://hooks.slack.com/services/a' } });
    const again = await create({ kind: 'slack', name: 'x', config: { url: 'https://hooks.slack.com/services/b' } });
    expect(dup.status === 201 || dup.status === 409).toBe(true);
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
  });

  it('sends mail over SMTP: STARTTLS required by default (refused by a server without it, nothing sent), requireTls: false for a local relay', async () => {
    const config = { host: '127.0.0.1', port: sink.port, username: 'lifeboat', password: 'sink-password-1', from: 'lifeboat@example.test', to: ['ops@example.test', 'dba@example.test'] };
    const strict = await create({ kind: 'email', config, allowCidrs: ['127.0.0.1/32'] });
    expect(strict.status, JSON.stringify(strict.body)).toBe(201);
    expect(strict.body.config).toMatchObject({ host: '127.0.0.1', requireTls: true, password: '(sealed)', username: 'lifeboat' });
    const refused = await sendTest(strict.body.id as string);
    expect(refused.body).toMatchObject({ ok: false, status: 'FAILED' });
    expect(refused.body.error).toMatch(/STARTTLS/i);
    expect(sink.mails).toHaveLength(0);

    const relaxed = await call(oneRoute.PATCH, admin.token, { path: `/notification-channels/${strict.body.id}`, method: 'PATCH', params: { id: strict.body.id as string }, body: { config: { requireTls: false } } });
    expect(relaxed.status, JSON.stringify(relaxed.body)).toBe(200);
    // The password was kept (not given again): the sink's login still works.
    const sent = await sendTest(strict.body.id as string);
    expect(sent.body, JSON.stringify(sent.body)).toMatchObject({ ok: true, status: 'SENT' });
    expect(sink.mails).toHaveLength(1);
    expect(sink.mails[0]).toMatchObject({ from: 'lifeboat@example.test', to: ['ops@example.test', 'dba@example.test'], user: 'lifeboat' });
    expect(sink.mails[0]!.subject).toContain('[Lifeboat] Test notification');
    expect(sink.mails[0]!.raw).toContain('/notifications');

    const update = await db().auditEvent.findFirst({ where: { targetId: strict.body.id as string, action: 'notification-channel.update' } });
    expect(update?.details).toMatchObject({ changes: { config: { requireTls: { from: true, to: false } } }, secretsReplaced: [] });
    expect(JSON.stringify(update?.details)).not.toContain('sink-password-1');
  });

  it('pages the channel list and a delivery log by cursor: every item once, none lost to deliveries of one millisecond', async () => {
    const made = await Promise.all([0, 1, 2].map(() => create({ kind: 'slack', config: { url: 'https://hooks.slack.com/services/T000/B000/PAGE' } })));
    const ids = made.map((m) => m.body.id as string);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const page = await call(listRoute.GET, operator.token, { path: `/notification-channels?limit=2${cursor ? `&cursor=${cursor}` : ''}`, method: 'GET' });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((c: { id: string }) => c.id));
      cursor = page.body.nextCursor as string | null;
      if (cursor === null) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(ids));

    // Five deliveries of one instant: a createdAt-only bound would skip the rest of the instant after a page's end.
    const at = new Date();
    await db().notificationDelivery.createMany({
      data: [0, 1, 2, 3, 4].map((n) => ({ channelId: ids[0]!, event: 'backup.failed', eventKey: `page-${n}`, payload: { summary: `n${n}` }, status: 'SENT', createdAt: at })),
    });
    const got: string[] = [];
    cursor = null;
    for (let i = 0; i < 10; i++) {
      const page = await call(deliveriesRoute.GET, operator.token, { path: `/notification-channels/${ids[0]}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`, method: 'GET', params: { id: ids[0]! } });
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      got.push(...page.body.items.map((d: { eventKey: string }) => d.eventKey));
      cursor = page.body.nextCursor as string | null;
      if (cursor === null) break;
    }
    expect(got.sort()).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    const bad = await call(deliveriesRoute.GET, operator.token, { path: `/notification-channels/${ids[0]}/deliveries?cursor=nonsense`, method: 'GET', params: { id: ids[0]! } });
    expect(bad).toMatchObject({ status: 422 });
  });

  it('deletes a channel with its log, audited, and the audit chain still verifies', async () => {
    const made = await create({ kind: 'webhook', config: { url: receiver.url }, allowCidrs: ['127.0.0.1/32'] });
    const id = made.body.id as string;
    await sendTest(id);
    const gone = await call(oneRoute.DELETE, admin.token, { path: `/notification-channels/${id}`, method: 'DELETE', params: { id } });
    expect(gone).toMatchObject({ status: 200, body: { id, deliveriesDeleted: 1 } });
    expect(await db().notificationDelivery.count({ where: { channelId: id } })).toBe(0);
    expect((await call(oneRoute.GET, admin.token, { path: `/notification-channels/${id}`, method: 'GET', params: { id } })).status).toBe(404);
    expect((await db().auditEvent.findFirst({ where: { targetId: id, action: 'notification-channel.delete' } }))?.details).toMatchObject({ deliveriesDeleted: 1 });
    expect((await verifyAuditChain()).firstBad).toBeNull();
  });
});
