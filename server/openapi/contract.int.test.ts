/**
 * Issue 11 item 4: the OpenAPI document is the contract. Every documented operation is called through its real
 * route handler (in-process, as the hostile sweep calls them: real catalog, real Redis, real verbs), once to
 * succeed and once to fail, and every answer (status, media type, body) is validated against the document with
 * ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1). The document's objects are closed for the check
 * (`additionalProperties: false`), so a field a verb sends but the document does not name fails here. A second test
 * checks that every method of every route file under app/api/v1 is documented, and nothing else is.
 *
 * Sessions: route handlers read the dashboard session through next-auth's `getServerSession`, which needs Next's
 * request scope; here it is replaced by a lookup of the user this test signs in (`signedIn`). Everything after the
 * actor (the verb, its permission checks, its answer) is the real code.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanupAll, person, restorableSource, type Fixture, type Person } from '@/server/approvals/test-fixtures';
import { createApiToken } from '@/server/auth/api-tokens';
import { SYSTEM_ACTOR } from '@/server/auth/permissions';
import { createUser } from '@/server/auth/users';
import { closeHttpRedis } from '@/server/http/http-redis';
import { callRoute, type Answer, type Call } from '@/server/http/test-client';
import { closeProducer } from '@/server/jobs/producer';
import { sealIdentity } from '@/server/keys/ensure-active-key';
import { generateIdentity } from '@/server/artifacts/keys';
import { db, disconnectDb } from '@/server/shared/db';
import { createDatabase, dropDatabase, uniqueName } from '@/server/testing/pg';
import { API_PREFIX, buildOpenApiDocument, OPERATIONS, type Operation } from '.';

const signedIn = vi.hoisted(() => ({ userId: null as string | null }));
vi.mock('next-auth/next', async (original) => ({
  ...(await original<typeof import('next-auth/next')>()),
  getServerSession: async () => (signedIn.userId ? { user: { id: signedIn.userId } } : null),
}));

// Own queue: the backups, restores, verifies and prunes this file starts sit there (no worker consumes them).
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-contract');

const API = path.resolve(import.meta.dirname, '../../app/api/v1');
const MARK = uniqueName('contract');
const ADMIN_PASSWORD = crypto.randomBytes(18).toString('base64url');

// ---- the document, closed for the check --------------------------------------------------------------------------

const document = buildOpenApiDocument();
const DOC_ID = 'https://lifeboat.test/openapi.json';

/** A copy of the document whose objects admit only the properties they list, with absolute `$ref`s. */
function closedCopy(doc: unknown): Record<string, unknown> {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? DOC_ID + v : walk(v);
    if (out.properties && typeof out.properties === 'object' && out.additionalProperties === undefined) out.additionalProperties = false;
    return out;
  };
  return walk(doc) as Record<string, unknown>;
}

const closed = closedCopy(document);
const ajv = new Ajv2020({ strict: false, allErrors: true });
const addFormats = addFormatsModule as unknown as (a: Ajv2020) => void;
addFormats(ajv);
// OpenAPI's own formats for bodies this test does not parse.
ajv.addFormat('binary', true);
ajv.addSchema({ $id: DOC_ID, components: closed.components } as never);

const validators = new Map<string, ValidateFunction>();
function validatorFor(op: Operation, status: number, mediaType: string): ValidateFunction | null {
  const key = `${op.method} ${op.path} ${status} ${mediaType}`;
  if (validators.has(key)) return validators.get(key)!;
  const paths = closed.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  const schema = paths[API_PREFIX + op.path]?.[op.method]?.responses[String(status)]?.content?.[mediaType]?.schema;
  if (!schema) return null;
  const validate = ajv.compile(schema);
  validators.set(key, validate);
  return validate;
}

/** Checks one answer against the document: a documented status, a documented media type, a body that fits. */
function expectDocumented(op: Operation, call: Call, answer: Answer): void {
  const where = `${op.method.toUpperCase()} ${call.url} → ${answer.status} ${answer.text.slice(0, 600)}`;
  const responses = (document.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>)[API_PREFIX + op.path]![op.method]!.responses;
  const documented = responses[String(answer.status)];
  expect(documented, `undocumented status: ${where}`).toBeDefined();
  const mediaType = answer.contentType.split(';')[0]!.trim();
  expect(Object.keys(documented!.content ?? {}), `undocumented media type ${mediaType}: ${where}`).toContain(mediaType);
  if (mediaType === 'text/event-stream' || mediaType === 'application/octet-stream') return;
  const value = mediaType.endsWith('json') ? JSON.parse(answer.text) : answer.text;
  const validate = validatorFor(op, answer.status, mediaType)!;
  const ok = validate(value);
  const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`).join('\n');
  expect(ok, `${where}\n${problems}`).toBe(true);
}

/** A body the verb accepts must fit the documented request schema (the verb's own, as generated). */
function expectBodyDocumented(op: Operation, body: unknown): void {
  const schema = (document.paths as Record<string, Record<string, { requestBody?: { content: Record<string, { schema: object }> } }>>)[API_PREFIX + op.path]![op.method]!.requestBody
    ?.content['application/json']?.schema;
  expect(schema, `${op.method} ${op.path} takes no documented body`).toBeDefined();
  const validate = ajv.compile(closedCopy({ ...schema }) as object);
  expect(validate(body), `${op.method} ${op.path} request ${JSON.stringify(body)}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

// ---- fixtures ----------------------------------------------------------------------------------------------------

let tmp = '';
const people = {} as { admin: Person & { password: string }; approver: Person; viewer: Person };
const ids = {
  destinations: [] as string[],
  policy: '',
  source: '',
  sourceName: '',
  points: {} as Record<'download' | 'lock' | 'hold' | 'delete' | 'verify', string>,
  shredKey: '',
  shredKeyName: '',
};
let direct: Fixture;
let tiered: Fixture;
/** What earlier cases made, for later ones (a created channel, a queued run …). */
const made: Record<string, string> = {};

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-contract-'));
  const admin = await createUser({ actor: SYSTEM_ACTOR }, { email: `${MARK}-admin@example.test`, name: 'contract admin', password: ADMIN_PASSWORD, role: 'ADMIN' });
  const adminToken = (await createApiToken({ actor: SYSTEM_ACTOR }, admin.id, { name: MARK, role: 'ADMIN' })).token;
  people.admin = { id: admin.id, email: admin.email, role: 'ADMIN', token: adminToken, password: ADMIN_PASSWORD };
  people.approver = await person('APPROVER', 'contract-approver');
  people.viewer = await person('VIEWER', 'contract-viewer');

  for (const n of [1, 2]) {
    fs.mkdirSync(path.join(tmp, `d${n}`));
    const d = await db().destination.create({ data: { name: `${MARK}-d${n}`, kind: 'local', config: { path: path.join(tmp, `d${n}`) } } });
    ids.destinations.push(d.id);
  }
  const policy = await db().policy.create({
    data: { name: `${MARK}-policy`, destinationId: ids.destinations[0]!, retention: { keepLast: 5, timezone: 'UTC' }, copies: { create: [{ destinationId: ids.destinations[1]!, position: 0 }] } },
  });
  ids.policy = policy.id;
  ids.sourceName = `${MARK}-src`;
  const source = await db().source.create({
    data: { name: ids.sourceName, kind: 'postgres', config: { host: `${MARK}.invalid`, port: 5432, database: 'app', user: 'app' }, policyId: policy.id },
  });
  ids.source = source.id;
  for (const [i, role] of (['download', 'lock', 'hold', 'delete', 'verify'] as const).entries()) {
    const run = await db().run.create({
      data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId: source.id, destinationId: ids.destinations[0]!, startedAt: new Date(), finishedAt: new Date() },
    });
    const bytes = crypto.randomBytes(64 + i);
    const location = `${MARK}-${role}.bin`;
    fs.writeFileSync(path.join(tmp, 'd1', location), bytes);
    const point = await db().recoveryPoint.create({
      data: {
        sourceId: source.id,
        runId: run.id,
        destinationId: ids.destinations[0]!,
        engine: 'postgres',
        location,
        sizeBytes: bytes.length,
        sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
        manifest: {},
        createdAt: new Date(Date.now() - (i + 1) * 60_000),
      },
    });
    ids.points[role] = point.id;
  }
  // A retired key with an identity: shredding it makes nobody's data unreadable.
  const pair = await generateIdentity();
  ids.shredKeyName = `${MARK}-key`;
  const key = await db().encryptionKey.create({ data: { name: ids.shredKeyName, recipient: pair.recipient, active: false, retiredAt: new Date() } });
  await db().encryptionKey.update({ where: { id: key.id }, data: { sealedIdentity: sealIdentity(key.id, pair.identity) } });
  ids.shredKey = key.id;

  // Restore sources backed by real databases (the engine checks each target): no tier (runs at once), one approval.
  direct = await restorableSource(null);
  tiered = await restorableSource(1);
});

afterAll(async () => {
  signedIn.userId = null;
  await cleanupAll();
  const destinationId = { in: ids.destinations };
  const sources = await db().source.findMany({
    where: { OR: [{ name: { startsWith: MARK } }, { policy: { destinationId } }] },
    select: { id: true },
  });
  const sourceId = { in: sources.map((s) => s.id) };
  await db().restoreRequest.deleteMany({ where: { sourceId } });
  await db().run.updateMany({ where: { sourceId }, data: { inputPointId: null } });
  await db().recoveryPoint.deleteMany({ where: { sourceId } });
  await db().run.deleteMany({ where: { sourceId } });
  await db().source.deleteMany({ where: { id: sourceId } });
  await db().policy.deleteMany({ where: { OR: [{ destinationId }, { name: { startsWith: MARK } }] } });
  await db().destination.deleteMany({ where: { OR: [{ id: destinationId }, { name: { startsWith: MARK } }] } });
  await db().notificationChannel.deleteMany({ where: { name: { startsWith: MARK } } });
  await db().service.deleteMany({ where: { name: { startsWith: MARK } } });
  await db().tier.deleteMany({ where: { name: { startsWith: MARK } } });
  await db().encryptionKey.deleteMany({ where: { name: { startsWith: MARK } } });
  const users = await db().user.findMany({ where: { email: { startsWith: MARK } }, select: { id: true } });
  await db().apiToken.deleteMany({ where: { ownerId: { in: users.map((u) => u.id) } } });
  await db().user.deleteMany({ where: { id: { in: users.map((u) => u.id) } } });
  await closeProducer();
  closeHttpRedis();
  await disconnectDb();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ---- the cases ---------------------------------------------------------------------------------------------------

type Spec = Omit<Call, 'method' | 'url'> & { path?: string; query?: string; as?: 'admin' | 'approver' | 'viewer' | 'session' | 'nobody' };

interface Case {
  success: (() => Spec | Promise<Spec>) | { unreachable: string };
  /** By default: an unknown id (404) where the path has one, else a body that is not an object (422), else no credentials (401). */
  error?: (() => Spec | Promise<Spec>) | { unreachable: string };
  /** Remember something of the success's answer for later cases. */
  then?: (answer: Answer) => void | Promise<void>;
}

const future = () => new Date(Date.now() + 86_400_000).toISOString();
const idOf = (a: Answer) => (a.json as { id: string }).id;
const keep = (name: string) => (a: Answer) => {
  made[name] = idOf(a);
};
const pg = (host: string) => ({ host, port: 5432, database: 'app', user: 'app' });

/** In order: later cases use what earlier ones made. Keyed `METHOD /path` as in OPERATIONS. */
const CASES: Array<[string, Case]> = [
  ['GET /health', { success: () => ({ as: 'nobody' }), error: { unreachable: 'public, and answers every input the same way' } }],
  ['GET /openapi.json', { success: () => ({ as: 'nobody' }), error: { unreachable: 'public, and answers every input the same way' } }],
  ['GET /engines', { success: () => ({ query: 'limit=1' }) }],

  ['GET /sources', { success: () => ({ query: 'limit=1' }) }],
  ['POST /sources', { success: () => ({ body: { kind: 'postgres', name: `${MARK}-new`, config: pg(`${MARK}.invalid`), testConnection: false } }), then: keep('source') }],
  ['POST /sources/test-connection', { success: () => ({ body: { kind: 'postgres', config: { ...pg('127.0.0.1'), port: 1 } } }) }],
  ['GET /sources/{id}', { success: () => ({ params: { id: ids.source } }) }],
  ['PATCH /sources/{id}', { success: () => ({ params: { id: made.source! }, body: { name: `${MARK}-renamed` } }) }],
  ['POST /sources/{id}/backups', { success: () => ({ params: { id: ids.source } }), then: keep('run') }],
  ['GET /sources/{id}/recovery-points', { success: () => ({ params: { id: ids.source }, query: 'limit=1' }) }],
  ['GET /sources/{id}/protection', { success: () => ({ params: { id: ids.source } }) }],
  ['GET /sources/{id}/pruning-plan', { success: () => ({ params: { id: ids.source } }) }],
  ['POST /sources/{id}/prune', { success: () => ({ params: { id: ids.source } }) }],
  ['GET /sources/{id}/slots', { success: () => ({ params: { id: ids.source }, query: 'limit=1' }) }],
  ['DELETE /sources/{id}', { success: () => ({ params: { id: made.source! }, query: 'keepPoints=true' }) }],

  ['GET /destinations', { success: () => ({ query: 'limit=1' }) }],
  ['POST /destinations', { success: () => ({ body: { name: `${MARK}-d3`, kind: 'local', config: { path: path.join(tmp, 'd3') } } }), then: keep('destination') }],
  ['PATCH /destinations/{id}', { success: () => ({ params: { id: made.destination! }, body: { name: `${MARK}-d3-renamed` } }) }],

  ['GET /policies', { success: () => ({ query: 'limit=1' }) }],
  ['POST /policies', { success: () => ({ body: { name: `${MARK}-p2`, destinationId: ids.destinations[0] } }), then: keep('policy') }],
  ['PATCH /policies/{id}', { success: () => ({ params: { id: made.policy! }, body: { name: `${MARK}-p2-renamed`, schedules: [{ kind: 'backup', cron: '0 3 * * *', timezone: 'UTC' }] } }) }],
  ['DELETE /policies/{id}', { success: () => ({ params: { id: made.policy! } }) }],
  ['PUT /policies/{id}/retention', { success: () => ({ params: { id: ids.policy }, body: { keepLast: 4, keepDaily: 7 } }) }],
  [
    'PUT /policies/{id}/copies/{destinationId}/retention',
    { success: () => ({ params: { id: ids.policy, destinationId: ids.destinations[1]! }, body: { keepLast: 2 } }), error: () => ({ params: { id: ids.policy, destinationId: crypto.randomUUID() }, body: null }) },
  ],

  ['GET /recovery-points/{id}', { success: () => ({ params: { id: ids.points.download } }) }],
  ['GET /recovery-points/{id}/objects/{role}/content', { success: () => ({ params: { id: ids.points.download, role: 'data' } }), error: () => ({ params: { id: ids.points.download, role: 'nope' } }) }],
  ['POST /recovery-points/{id}/verify', { success: () => ({ params: { id: ids.points.verify } }) }],
  ['POST /recovery-points/{id}/hold', { success: () => ({ params: { id: ids.points.hold }, body: { hold: true, reason: 'contract test' } }) }],
  ['POST /recovery-points/{id}/lock', { success: () => ({ params: { id: ids.points.lock }, body: { until: future(), reason: 'contract test', confirm: ids.sourceName } }) }],
  ['DELETE /recovery-points/{id}', { success: () => ({ params: { id: ids.points.delete } }) }],
  [
    'POST /recovery-points/{id}/restores',
    { success: () => ({ params: { id: direct.pointId }, body: { target: { database: uniqueName('lbt_contract_restore') } } }), error: () => ({ params: { id: direct.pointId }, body: { target: { database: 'postgres' } } }) },
  ],

  ['GET /runs', { success: () => ({ query: `limit=1&sourceId=${ids.source}` }) }],
  ['GET /runs/{id}', { success: () => ({ params: { id: made.run! } }) }],
  ['GET /runs/{id}/logs', { success: () => ({ params: { id: made.run! } }) }],
  ['POST /runs/{id}/cancel', { success: () => ({ params: { id: made.run! } }) }],
  ['GET /runs/{id}/events', { success: () => ({ params: { id: made.run! } }) }],
  [
    'POST /runs/{id}/stop',
    {
      success: { unreachable: 'needs a scratch Redis instance held by a live worker (e2e/redis.spec.ts stops one)' },
      error: () => ({ params: { id: made.run! } }),
    },
  ],

  // Restore requests: on the one-approval source. Made here, decided by the approver below.
  [
    'POST /restore-requests',
    {
      success: () => ({ body: { recoveryPointId: tiered.pointId, target: { database: uniqueName('lbt_contract_rr') }, reason: 'contract test: approve' } }),
      then: keep('rrApprove'),
    },
  ],
  ['GET /restore-requests', { success: () => ({ query: 'limit=1' }) }],
  ['GET /restore-requests/{id}', { success: () => ({ params: { id: made.rrApprove! } }) }],
  ['PATCH /restore-requests/{id}', { success: () => ({ params: { id: made.rrApprove! }, body: { reason: 'contract test: approve, edited' } }) }],
  ['POST /restore-requests/{id}/approve', { success: () => ({ as: 'approver', params: { id: made.rrApprove! }, body: { comment: 'ok' } }) }],
  [
    'POST /restore-requests/{id}/reject',
    {
      success: async () => ({ as: 'approver', params: { id: await newRequest('reject') }, body: { comment: 'no' } }),
      error: () => ({ as: 'approver', params: { id: made.rrApprove! }, body: {} }),
    },
  ],
  ['POST /restore-requests/{id}/cancel', { success: async () => ({ params: { id: await newRequest('cancel') } }) }],
  [
    'POST /restore-requests/{id}/execute',
    {
      // APPROVED without a run: the target appeared between the request and its approval, and is gone again.
      success: async () => {
        const database = uniqueName('lbt_contract_exec');
        const id = await newRequest('execute', database);
        await createDatabase(database, 'SELECT 1');
        const approved = await send('POST /restore-requests/{id}/approve', { as: 'approver', params: { id }, body: {} });
        expect(approved.json).toMatchObject({ status: 'APPROVED', executionError: { code: 'CONFLICT' } });
        await dropDatabase(database);
        return { params: { id } };
      },
    },
  ],
  ['POST /restore-requests/{id}/break-glass', { success: async () => ({ params: { id: (made.rrGlass = await newRequest('break-glass')) }, body: { reason: 'contract test: production is down' } }) }],
  ['POST /restore-requests/{id}/acknowledge', { success: () => ({ as: 'approver', params: { id: made.rrGlass! } }) }],

  ['GET /tiers', { success: () => ({ query: 'limit=1' }) }],
  ['POST /tiers', { success: () => ({ body: { name: `${MARK}-tier`, rpoSeconds: 3600, rtoSeconds: 7200 } }), then: keep('tier') }],
  ['PATCH /tiers/{id}', { success: () => ({ params: { id: made.tier! }, body: { description: 'contract test' } }) }],
  ['GET /services', { success: () => ({ query: 'limit=1' }) }],
  ['POST /services', { success: () => ({ body: { name: `${MARK}-service`, tierId: made.tier } }), then: keep('service') }],
  ['PATCH /services/{id}', { success: () => ({ params: { id: made.service! }, body: { contact: 'ops@example.test' } }) }],
  ['DELETE /services/{id}', { success: () => ({ params: { id: made.service! } }) }],
  ['GET /slo', { success: () => ({}) }],
  ['GET /reports/backups', { success: () => ({ query: 'days=7' }), error: () => ({ query: 'days=91' }) }],

  ['GET /audit', { success: () => ({ query: 'limit=2' }), error: () => ({ query: 'limit=0' }) }],
  ['GET /audit/verify', { success: () => ({}) }],
  ['GET /audit/export', { success: () => ({ query: `format=csv&targetId=${ids.source}` }), error: () => ({ query: 'format=xml' }) }],
  ['GET /audit/anchors', { success: () => ({ query: 'limit=1' }) }],
  ['POST /audit/anchors', { success: () => ({}), error: () => ({ as: 'viewer' }) }],

  ['GET /keys', { success: () => ({ query: 'limit=1' }) }],
  ['POST /keys/rotate', { success: () => ({}), error: () => ({ as: 'viewer' }) }],
  ['POST /keys/{id}/shred', { success: () => ({ params: { id: ids.shredKey }, body: { confirm: ids.shredKeyName } }) }],
  ['POST /keys/recovery-kit', { success: () => ({ as: 'session', body: { password: ADMIN_PASSWORD } }), error: () => ({ body: { password: ADMIN_PASSWORD } }) }],

  ['GET /tokens', { success: () => ({ query: 'limit=1' }) }],
  ['POST /tokens', { success: () => ({ as: 'session', body: { name: `${MARK}-session-token`, role: 'VIEWER', expiresInDays: 1 } }), then: keep('token') }],
  ['DELETE /tokens/{id}', { success: () => ({ params: { id: made.token! } }) }],
  ['GET /users', { success: () => ({ query: 'limit=1' }) }],
  ['POST /users', { success: () => ({ body: { email: `${MARK}-new@example.test`, name: 'contract user', role: 'VIEWER', password: crypto.randomBytes(12).toString('base64url') } }), then: keep('user') }],
  ['PATCH /users/{id}', { success: () => ({ params: { id: made.user! }, body: { name: 'contract user, renamed' } }) }],

  ['GET /notification-channels', { success: () => ({}) }],
  [
    'POST /notification-channels',
    // localhost: saved (a name, not an address literal), refused when sent (it resolves to loopback).
    { success: () => ({ body: { kind: 'webhook', name: `${MARK}-hook`, config: { url: 'https://localhost/lifeboat-contract' }, events: ['backup.failed'] } }), then: keep('channel') },
  ],
  ['GET /notification-channels/{id}', { success: () => ({ params: { id: made.channel! } }) }],
  ['PATCH /notification-channels/{id}', { success: () => ({ params: { id: made.channel! }, body: { rotateSigningSecret: true } }) }],
  ['POST /notification-channels/{id}/test', { success: () => ({ params: { id: made.channel! } }) }],
  ['GET /notification-channels/{id}/deliveries', { success: () => ({ params: { id: made.channel! }, query: 'limit=1' }) }],
  ['DELETE /notification-channels/{id}', { success: () => ({ params: { id: made.channel! } }) }],
];

const byKey = new Map(OPERATIONS.map((op) => [`${op.method.toUpperCase()} ${op.path}`, op]));

/** `v1/sources/[id]/route.ts` of an operation's path. */
const routeFileOf = (op: Operation) => path.join(API, ...op.path.split('/').filter(Boolean).map((s) => s.replace(/^\{(\w+)\}$/, '[$1]')), 'route.ts');

async function send(key: string, spec: Spec): Promise<Answer> {
  const op = byKey.get(key)!;
  const mod = (await import(routeFileOf(op))) as Record<string, unknown>;
  const method = op.method.toUpperCase();
  const params = spec.params ?? {};
  const pathname = API_PREFIX + op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const as = spec.as ?? 'admin';
  signedIn.userId = as === 'session' ? people.admin.id : null;
  const token = as === 'session' || as === 'nobody' ? null : people[as].token;
  try {
    return await callRoute(mod[method], { method, url: pathname + (spec.query ? `?${spec.query}` : ''), params, token, body: spec.body, headers: spec.headers });
  } finally {
    signedIn.userId = null;
  }
}

/** A fresh waiting request on the one-approval source, made by the admin. */
async function newRequest(why: string, database = uniqueName('lbt_contract_rr')): Promise<string> {
  const answer = await send('POST /restore-requests', { body: { recoveryPointId: tiered.pointId, target: { database }, reason: `contract test: ${why}` } });
  expect(answer.status, answer.text).toBe(201);
  return idOf(answer);
}

function defaultError(op: Operation): Spec {
  if (op.params) {
    const params = Object.fromEntries(Object.keys(op.params.shape).map((k) => [k, k === 'role' ? 'data' : crypto.randomUUID()]));
    return { params, ...(op.body ? { body: {} } : {}) };
  }
  if (op.body) return { body: [] };
  return { as: 'nobody' };
}

describe('every documented operation answers as the document says', () => {
  it.each(CASES.map(([key, c]) => [key, c] as const))('%s', async (key, c) => {
    const op = byKey.get(key);
    expect(op, `${key} is not a documented operation`).toBeDefined();
    if (!('unreachable' in c.success)) {
      const spec = await c.success();
      if (spec.body !== undefined) expectBodyDocumented(op!, spec.body);
      const answer = await send(key, spec);
      expectDocumented(op!, { method: op!.method, url: key, ...spec }, answer);
      expect(op!.ok.map((a) => a.status), `${key} did not succeed: ${answer.status} ${answer.text.slice(0, 500)}`).toContain(answer.status);
      await c.then?.(answer);
    }
    const error = c.error ?? (() => defaultError(op!));
    if (!('unreachable' in error)) {
      const spec = await error();
      const answer = await send(key, spec);
      expect(answer.status, `${key} was expected to fail: ${answer.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
      expectDocumented(op!, { method: op!.method, url: key, ...spec }, answer);
    }
  });

  it('pages follow nextCursor to the end without repeating an item', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const answer = await send('GET /sources/{id}/recovery-points', { params: { id: ids.source }, query: `limit=2${cursor ? `&cursor=${cursor}` : ''}` });
      expect(answer.status).toBe(200);
      const body = answer.json as { items: { id: string }[]; nextCursor: string | null };
      seen.push(...body.items.map((p) => p.id));
      cursor = body.nextCursor;
      if (cursor === null) break;
    }
    expect(cursor).toBeNull();
    expect(new Set(seen).size).toBe(seen.length);
    const all = await send('GET /sources/{id}/recovery-points', { params: { id: ids.source } });
    expect(seen).toEqual((all.json as { items: { id: string }[] }).items.map((p) => p.id));
  });
});

describe('the document', () => {
  it('documents every method of every route file under app/api/v1, and nothing else', () => {
    const files = (fs.readdirSync(API, { recursive: true }) as string[]).filter((f) => path.basename(f) === 'route.ts').map((f) => f.split(path.sep).join('/'));
    const implemented = files.flatMap((file) => {
      const allowed = /otherMethods\(([^)]*)\)/.exec(fs.readFileSync(path.join(API, file), 'utf8'))?.[1] ?? '';
      const methods = [...allowed.matchAll(/'(\w+)'/g)].map((m) => m[1]!);
      const apiPath = '/' + path.posix.dirname(file).replace(/\[(\w+)\]/g, '{$1}');
      return methods.map((m) => `${m} ${apiPath}`);
    });
    expect(implemented.length).toBeGreaterThan(60);
    expect([...byKey.keys()].sort()).toEqual([...new Set(implemented)].sort());
  });

  it('has a contract case for every operation', () => {
    expect(CASES.map(([key]) => key).sort()).toEqual([...byKey.keys()].sort());
  });

  it('is what GET /api/v1/openapi.json serves: OpenAPI 3.1, every $ref resolving, every schema compiling', async () => {
    const served = await send('GET /openapi.json', { as: 'nobody' });
    expect(served.status).toBe(200);
    expect(served.json).toEqual(JSON.parse(JSON.stringify(document)));
    expect(document.openapi).toBe('3.1.0');
    const refs = JSON.stringify(document).match(/"\$ref":"([^"]+)"/g) ?? [];
    const schemas = document.components!.schemas!;
    for (const ref of refs) expect(Object.keys(schemas), ref).toContain(ref.replace(/^"\$ref":"#\/components\/schemas\/(.*)"$/, '$1'));
    for (const name of Object.keys(schemas)) expect(() => ajv.getSchema(`${DOC_ID}#/components/schemas/${name}`), name).not.toThrow();
    // Every operation: its answers and the errors the route wrapper may give.
    for (const op of OPERATIONS) {
      const responses = Object.keys((document.paths as Record<string, Record<string, { responses: object }>>)[API_PREFIX + op.path]![op.method]!.responses);
      for (const a of op.ok) expect(responses).toContain(String(a.status));
      if (op.auth !== 'public') expect(responses).toEqual(expect.arrayContaining(['401', '403', '422', '429']));
    }
  });
});
