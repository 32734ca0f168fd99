import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
// The handlers read `req.nextUrl`, so the sweep builds the request Next builds; only this test loads next/server.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- see above
import { NextRequest } from 'next/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '@/server/auth/api-tokens';
import { SYSTEM_ACTOR } from '@/server/auth/permissions';
import { createUser } from '@/server/auth/users';
import { closeProducer } from '@/server/jobs/producer';
import { closeHttpRedis } from '@/server/http/http-redis';
import { db, disconnectDb } from '@/server/shared/db';
import { uniqueName } from '@/server/testing/pg';

// Issue 7: an outside tester sent ~300 hostile requests and found 500s; the next one will send requests nobody has
// seen. This sweep imports every app/api route file and calls each method handler directly with generated hostile
// path parameters, query strings and bodies, and asserts that no answer is a 5xx and every 4xx is the API's error
// shape. Deterministic: one fixed seed (override with HOSTILE_SEED to explore); a failure prints the seed and the
// request.

// Own queue prefix: backups, restores, verifies and prunes the sweep manages to start just sit in it (no worker here).
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-hostile');
// ~2000 requests in a few seconds with one token: far over any sensible rate limit. The sweep explores inputs; the
// limiter has its own test (rate-limit.int.test.ts), so it is off here rather than answering most of the sweep 429.
process.env.LIFEBOAT_RATE_LIMIT_PER_MINUTE = '0';

const SEED = Number(process.env.HOSTILE_SEED ?? 20_260_707);
// ~20 generated requests per route and method: ~30 handlers × 20 keeps the file well under a minute on 2 shared cores.
const RUNS_PER_HANDLER = Number(process.env.HOSTILE_RUNS ?? 20);
// The 405 fallbacks ignore their input; a few requests each prove they answer the error shape.
const RUNS_PER_FALLBACK = 3;
// Handlers whose input is ignored but whose every call does real work (a new key pair): a few calls are enough.
// Anchoring writes the chain head to every destination of the test catalog (other files' folders too): a few runs.
const FEW_RUNS: Record<string, number> = { 'POST /api/v1/keys/rotate': 3, 'POST /api/v1/audit/anchors': 3 };

/**
 * Route files not called here, with the reason: they cannot run outside Next's request scope.
 * - next-auth's handler reads `headers()`/`cookies()` from Next's async storage and throws outside a real request;
 *   its input is next-auth's own (CSRF-checked) and it carries no Lifeboat verb.
 */
const SKIPPED = new Set(['auth/[...nextauth]/route.ts']);

/** Successful answers that are not JSON on purpose, by route file. */
const NON_JSON_SUCCESS: Record<string, string> = {
  'v1/keys/recovery-kit/route.ts': 'text/plain',
  'v1/audit/export/route.ts': 'text/csv',
  'v1/runs/[id]/events/route.ts': 'text/event-stream',
};

const API = path.resolve(import.meta.dirname, '../../app/api');
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
type Method = (typeof METHODS)[number];
type Handler = (req: NextRequest, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response> | Response;

const routeFiles = (fs.readdirSync(API, { recursive: true }) as string[])
  .filter((f) => path.basename(f) === 'route.ts')
  .map((f) => f.split(path.sep).join('/'))
  .sort();

/** `v1/policies/[id]/copies/[destinationId]/retention/route.ts` → its segments, `[x]` and `[...x]` marked. */
function segmentsOf(file: string) {
  return path.posix
    .dirname(file)
    .split('/')
    .map((s) => {
      const catchAll = /^\[\.\.\.(\w+)\]$/.exec(s);
      if (catchAll) return { param: catchAll[1]!, catchAll: true };
      const dynamic = /^\[(\w+)\]$/.exec(s);
      return dynamic ? { param: dynamic[1]!, catchAll: false } : { literal: s };
    });
}

// ---- fixtures: real rows the generated ids can hit ------------------------------------------------------------------

let tmp: string;
let token: string;
const real = {
  userId: '',
  destinationIds: [] as string[],
  policyId: '',
  sourceId: '',
  runId: '',
  pointId: '',
  keyId: '',
  keyName: '',
};
/** Everything the sweep may create is marked with this, so afterAll removes exactly that. */
const MARK = uniqueName('hostile');
const MARK_HOST = `${MARK}.invalid`;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-hostile-'));
  const user = await createUser({ actor: SYSTEM_ACTOR }, {
    email: `${MARK}@example.test`,
    name: 'hostile sweep',
    password: crypto.randomBytes(18).toString('base64url'),
    role: 'ADMIN',
  });
  real.userId = user.id;
  token = (await createApiToken({ actor: SYSTEM_ACTOR }, user.id, { name: MARK, role: 'ADMIN' })).token;
  for (const n of [1, 2]) {
    fs.mkdirSync(path.join(tmp, `d${n}`));
    const d = await db().destination.create({ data: { name: `${MARK}-d${n}`, kind: 'local', config: { path: path.join(tmp, `d${n}`) } } });
    real.destinationIds.push(d.id);
  }
  const policy = await db().policy.create({
    data: {
      name: `${MARK}-policy`,
      destinationId: real.destinationIds[0]!,
      retention: { keepLast: 3 },
      copies: { create: [{ destinationId: real.destinationIds[1]!, position: 0 }] },
    },
  });
  real.policyId = policy.id;
  const source = await db().source.create({
    data: { name: `${MARK}-src`, kind: 'postgres', config: { host: MARK_HOST, port: 5432, database: 'app', user: 'app' }, policyId: policy.id },
  });
  real.sourceId = source.id;
  const run = await db().run.create({
    data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId: source.id, destinationId: real.destinationIds[0]!, startedAt: new Date(), finishedAt: new Date() },
  });
  real.runId = run.id;
  const bytes = crypto.randomBytes(64);
  fs.writeFileSync(path.join(tmp, 'd1', 'data'), bytes);
  const point = await db().recoveryPoint.create({
    data: {
      sourceId: source.id,
      runId: run.id,
      destinationId: real.destinationIds[0]!,
      engine: 'postgres',
      location: 'data',
      sizeBytes: bytes.length,
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      manifest: {},
    },
  });
  real.pointId = point.id;
  // A retired key without an identity: shredding it (the confirm may be generated right) changes nobody's data.
  real.keyName = `${MARK}-key`;
  const key = await db().encryptionKey.create({
    data: { name: real.keyName, recipient: `age1${MARK}`, active: false, retiredAt: new Date() },
  });
  real.keyId = key.id;
});

afterAll(async () => {
  // Audit events stay: the chain is append-only. Everything else the sweep made hangs off the fixtures or the mark.
  const destinationId = { in: real.destinationIds };
  const sources = await db().source.findMany({
    where: { OR: [{ name: { startsWith: MARK } }, { policy: { destinationId } }, { config: { path: ['host'], equals: MARK_HOST } }] },
    select: { id: true },
  });
  const sourceId = { in: sources.map((s) => s.id) };
  await db().run.updateMany({ where: { sourceId }, data: { inputPointId: null } });
  await db().recoveryPoint.deleteMany({ where: { sourceId } });
  await db().run.deleteMany({ where: { sourceId } });
  await db().source.deleteMany({ where: { id: sourceId } });
  await db().policy.deleteMany({ where: { OR: [{ destinationId }, { copies: { some: { destinationId } } }, { name: { startsWith: MARK } }] } });
  await db().destination.deleteMany({
    where: { OR: [{ id: destinationId }, { name: { startsWith: MARK } }, { config: { path: ['path'], string_starts_with: tmp } }] },
  });
  await db().encryptionKey.deleteMany({ where: { id: real.keyId } });
  await db().user.deleteMany({ where: { id: real.userId } });
  await closeProducer();
  closeHttpRedis();
  await disconnectDb();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ---- generators ---------------------------------------------------------------------------------------------------

const realIds = () => [real.destinationIds[0]!, real.destinationIds[1]!, real.policyId, real.sourceId, real.runId, real.pointId, real.keyId, real.userId];

const CONTROL = fc.constantFrom('\u0000', '\u0001', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\u009b', '\ud800', '\udfff');
const controlString = fc.tuple(fc.string({ maxLength: 8 }), CONTROL, fc.string({ maxLength: 8 })).map(([a, c, b]) => a + c + b);
const unicodeString = fc.string({ unit: 'grapheme', maxLength: 30 });
const binaryString = fc.string({ unit: 'binary', maxLength: 30 });
const longString = fc.integer({ min: 300, max: 20_000 }).chain((n) => fc.constantFrom('a', 'é', '🦀', '/', '%', '0').map((c) => c.repeat(n)));
const trickyString = fc.constantFrom(
  '',
  ' ',
  '..',
  '../../etc/passwd',
  '%00',
  '%',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  "'; DROP TABLE \"User\"; --",
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  '\u202eevil',
  '\ufeff',
  '0',
  '-0',
);
const numericString = fc.constantFrom(
  '99999999999999999999999999',
  '-99999999999999999999999999',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775809',
  '-1',
  '0',
  '1e308',
  '1e309',
  '-1e309',
  '1.5',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1_000',
  ' 12 ',
  '+5',
  '275760-09-13T00:00:00.001Z',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
);
const anyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  unicodeString,
  binaryString,
  controlString,
  longString,
  trickyString,
  numericString,
  fc.uuid(),
);

// Functions, not constants: the real ids exist only once beforeAll has run.
const realId = () => fc.constantFrom(...realIds());
const pathParam = () => fc.oneof(
  { weight: 3, arbitrary: realId() },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: longString },
  { weight: 1, arbitrary: controlString },
  { weight: 1, arbitrary: unicodeString },
  { weight: 1, arbitrary: trickyString },
);

const QUERY_KEYS = ['before', 'after', 'limit', 'targetType', 'targetId', 'sourceId', 'status', 'kind', 'cursor', 'id', '__proto__', 'constructor'];
/** Pairs, so that a key may repeat (`?before=1&before=2`, an "array"). */
const query = () =>
  fc.array(
    fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: anyString }), fc.oneof(anyString, realId())),
    { maxLength: 4 },
  );

/** A JSON value that is the wrong thing almost anywhere (as JSON text, so that `__proto__` keys survive). */
const hostileJsonValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'null',
    'true',
    'false',
    '0',
    '-1',
    '1.5',
    '1e308',
    '-1e308',
    '99999999999999999999999999',
    '9007199254740993',
    '-9007199254740993',
    '1e-400',
    '""',
    '[]',
    '{}',
    '[null]',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '"__proto__"',
  ),
  anyString.map((s) => JSON.stringify(s)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 50, max: 20_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 50, max: 20_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.integer({ min: 100, max: 5_000 }).map((n) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])))),
  fc.integer({ min: 100, max: 20_000 }).map((n) => JSON.stringify(Array.from({ length: n }, (_, i) => i))),
);

/** A valid-looking body per route (path after /api/), so that mutating one field reaches past the envelope checks. */
function templates(): Record<string, unknown> {
  const futureDate = new Date(Date.now() + 86_400_000).toISOString();
  return {
    'POST v1/destinations': { name: `${MARK}-new`, kind: 'local', config: { path: path.join(tmp, 'new') } },
    'POST v1/policies': {
      name: `${MARK}-new`,
      destinationId: real.destinationIds[0],
      copies: [{ destinationId: real.destinationIds[1], retention: { keepLast: 2 } }],
      compressionLevel: 3,
      encrypt: true,
      retention: { keepLast: 3, keepDaily: 7, keepWithin: '2d', minRetention: '1h', tiers: [{ afterDays: 30, storageClass: 'GLACIER' }], timezone: 'UTC' },
    },
    'PUT v1/policies/[id]/retention': { keepLast: 3, keepWeekly: 4, keepWithin: '30d', tiers: [{ afterDays: 1, storageClass: 'STANDARD_IA' }], timezone: 'Europe/Paris' },
    'PUT v1/policies/[id]/copies/[destinationId]/retention': { keepLast: 2, keepYearly: 1, minRetention: '1y' },
    'POST v1/recovery-points/[id]/hold': { hold: true, reason: 'hostile sweep' },
    'POST v1/recovery-points/[id]/lock': { until: futureDate },
    'POST v1/recovery-points/[id]/restores': { target: { database: `${MARK}_restore` } },
    'POST v1/sources': { kind: 'postgres', name: `${MARK}-new`, config: { host: MARK_HOST, port: 5432, database: 'app', user: 'app', password: 'pw' }, testConnection: false },
    'POST v1/sources/test-connection': { kind: 'postgres', config: { host: '127.0.0.1', port: 1, database: 'app', user: 'app' } },
    'POST v1/tokens': { name: `${MARK}-new`, role: 'VIEWER', expiresInDays: 30 },
    'POST v1/keys/[id]/shred': { confirm: real.keyName },
  };
}

/** Every path to a value inside `v` (including the root's children), so one field at a time can be broken. */
function fieldPaths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((item, i) => [[...prefix, i], ...fieldPaths(item, [...prefix, i])]);
  if (v !== null && typeof v === 'object')
    return Object.entries(v).flatMap(([k, item]) => [[...prefix, k], ...fieldPaths(item, [...prefix, k])]);
  return [];
}

/** `template` as JSON text with the value at `at` replaced by `valueJson` (raw JSON text) or removed. */
function mutated(template: unknown, at: (string | number)[], valueJson: string | undefined): string {
  const copy = structuredClone(template) as Record<string | number, unknown>;
  const placeholder = `@@hostile-${crypto.randomUUID()}@@`;
  let node: Record<string | number, unknown> = copy;
  for (const step of at.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
  const last = at[at.length - 1]!;
  if (valueJson === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
    return JSON.stringify(copy);
  }
  node[last] = placeholder;
  return JSON.stringify(copy).replace(JSON.stringify(placeholder), valueJson);
}

interface BodySpec {
  text: string | null;
  contentType: string | null;
}

function bodyFor(key: string): fc.Arbitrary<BodySpec> {
  const template = templates()[key];
  const asJson = (text: string): BodySpec => ({ text, contentType: 'application/json' });
  const options: fc.Arbitrary<BodySpec>[] = [
    hostileJsonValue.map(asJson),
    fc.record({
      text: fc.oneof(anyString, fc.constantFrom('{', '{"a":', 'not json', '{"a":1}garbage', '\u0000')),
      contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', null),
    }),
    fc.constant({ text: null, contentType: null }),
    // Just over the 1 MiB limit.
    fc.constant(asJson(JSON.stringify({ name: 'x'.repeat(1_100_000) }))),
  ];
  if (template !== undefined) {
    const paths = fieldPaths(template);
    const breakOne = fc
      .tuple(fc.constantFrom(...paths), fc.option(hostileJsonValue, { nil: undefined, freq: 8 }))
      .map(([at, value]) => asJson(mutated(template, at, value)));
    const extraKey = fc
      .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'then'), hostileJsonValue)
      .map(([k, value]) => asJson(JSON.stringify(template).replace(/^\{/, `{${JSON.stringify(k)}:${value},`)));
    options.push(
      fc.constant(asJson(JSON.stringify(template))),
      breakOne,
      breakOne,
      breakOne,
      breakOne,
      extraKey,
      fc.constant(asJson(JSON.stringify([template]))),
    );
  }
  return fc.oneof(...options);
}

const authorization = fc.oneof(
  { weight: 12, arbitrary: fc.constant(null).map(() => `Bearer ${token}`) },
  { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Bearer lbt_unknown', 'Basic YTpi', 'bearer  ', 'Bearer lbt_' + 'x'.repeat(5000), 'Bearer a b') },
);

// ---- the sweep ----------------------------------------------------------------------------------------------------

interface Case {
  file: string;
  method: Method;
  key: string;
  /** Path after /api/ with its parameter names: `v1/policies/[id]/retention`. */
  pattern: string;
  /** One of the file's `otherMethods(...)` 405 answers. */
  fallback: boolean;
}

function casesOf(file: string, mod: Record<string, unknown>): Case[] {
  const pattern = path.posix.dirname(file);
  const allowed = /otherMethods\(([^)]*)\)/.exec(fs.readFileSync(path.join(API, file), 'utf8'))?.[1];
  return METHODS.filter((m) => typeof mod[m] === 'function').map((method) => ({
    file,
    method,
    key: `${method} ${pattern}`,
    pattern,
    fallback: allowed !== undefined && !allowed.includes(`'${method}'`),
  }));
}

interface Request {
  method: Method;
  url: string;
  params: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: string | null;
}

/** `s` with lone surrogates replaced by U+FFFD (String.prototype.toWellFormed, ES2024, is not in this lib). */
const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

function requestFor(c: Case): fc.Arbitrary<Request> {
  const segments = segmentsOf(c.file);
  const paramArbs = Object.fromEntries(
    segments.flatMap((s) =>
      'param' in s && s.param ? [[s.param, s.catchAll ? fc.array(fc.oneof(anyString, fc.constantFrom('v1', 'v2', 'sources')), { minLength: 1, maxLength: 4 }) : pathParam()]] : [],
    ),
  ) as Record<string, fc.Arbitrary<string | string[]>>;
  return fc.record({ params: fc.record(paramArbs), query: query(), body: bodyFor(`${c.method} ${c.pattern}`), authorization }).map(({ params, query, body, authorization }) => {
    // A lone surrogate has no UTF-8 form, so no client can put it in a URL; the handler still gets it raw in params.
    const pathname =
      '/api/' +
      segments
        .map((s) => ('literal' in s ? s.literal : ([params[s.param!]].flat() as string[]).map((v) => encodeURIComponent(wellFormed(v))).join('/')))
        .join('/');
    const search = new URLSearchParams(query).toString();
    const headers: Record<string, string> = { authorization };
    const sendsBody = c.method !== 'GET' && body.text !== null;
    if (sendsBody && body.contentType) headers['content-type'] = body.contentType;
    return { method: c.method, url: `http://lifeboat.test${pathname}${search ? `?${search}` : ''}`, params, headers, body: sendsBody ? body.text : null };
  });
}

/** The request as a failure message shows it: long values cut, control characters visible. */
function describeRequest(r: Request): string {
  const cut = (_key: string, v: unknown) => (typeof v === 'string' && v.length > 300 ? `${v.slice(0, 300)}… (${v.length} chars)` : v);
  return JSON.stringify(r, cut, 1);
}

async function send(handler: Handler, r: Request) {
  const controller = new AbortController();
  const req = new NextRequest(r.url, { method: r.method, headers: r.headers, body: r.body, signal: controller.signal });
  try {
    const res = await handler(req, { params: Promise.resolve(r.params) });
    const contentType = res.headers.get('content-type') ?? '';
    // An event stream never ends by itself: read nothing, hang up like a browser closing the tab.
    if (contentType.startsWith('text/event-stream')) {
      controller.abort();
      await res.body?.cancel().catch(() => undefined);
      return { status: res.status, contentType, text: '' };
    }
    return { status: res.status, contentType, text: await res.text() };
  } finally {
    controller.abort();
  }
}

function checkAnswer(c: Case, answer: { status: number; contentType: string; text: string }): string | null {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.text.slice(0, 500)}`;
  if (answer.status >= 200 && answer.status < 300 && NON_JSON_SUCCESS[c.file] && answer.contentType.startsWith(NON_JSON_SUCCESS[c.file]!)) return null;
  if (!answer.contentType.startsWith('application/json')) return `answered ${answer.status} with content-type "${answer.contentType}", not JSON`;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `answered ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 200)}`;
  }
  if (answer.status >= 400) {
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (typeof error?.code !== 'string' || typeof error.message !== 'string')
      return `answered ${answer.status} without { error: { code, message } }: ${answer.text.slice(0, 300)}`;
    if (error.message.length > 2_000) return `answered ${answer.status} with a ${error.message.length}-character message (echoes input?)`;
  }
  return null;
}

const modules = await Promise.all(
  routeFiles.filter((f) => !SKIPPED.has(f)).map(async (file) => ({ file, mod: (await import(path.join(API, file))) as Record<string, unknown> })),
);
const cases = modules.flatMap(({ file, mod }) => casesOf(file, mod));

describe(`hostile sweep of every app/api route (seed ${SEED}; rerun with HOSTILE_SEED=${SEED})`, () => {
  it('finds every route file, and skips only the ones named in SKIPPED', () => {
    expect(routeFiles.length).toBeGreaterThan(30);
    expect(modules.length + SKIPPED.size).toBe(routeFiles.length);
  });

  // The ones seen before, from the issue and from earlier sweeps: always sent, whatever the seed draws.
  it.each([
    ['GET', '/api/v1/audit?before=99999999999999999999999999', 'v1/audit/route.ts'],
    ['GET', '/api/v1/audit?before=-99999999999999999999999999', 'v1/audit/route.ts'],
    ['GET', '/api/v1/audit?targetId=%00', 'v1/audit/route.ts'],
    ['GET', '/api/v1/audit?limit=NaN&before=1.5', 'v1/audit/route.ts'],
    ['GET', '/api/v1/runs?before=0000-01-01T00:00:00Z', 'v1/runs/route.ts'],
    ['GET', '/api/v1/runs?before=275760-09-13T00:00:00.001Z', 'v1/runs/route.ts'],
    ['GET', '/api/v1/runs?limit=99999999999999999999999999', 'v1/runs/route.ts'],
  ] as const)('known: %s %s (%s)', async (method, url, file) => {
    const c: Case = { file, method, key: `${method} ${url}`, pattern: path.posix.dirname(file), fallback: false };
    const r: Request = { method, url: `http://lifeboat.test${url}`, params: {}, headers: { authorization: `Bearer ${token}` }, body: null };
    const answer = await send(modules.find((m) => m.file === file)!.mod[method] as Handler, r);
    expect(checkAnswer(c, answer), `${describeRequest(r)}\n${answer.text}`).toBeNull();
    expect(answer.status).toBe(422);
  });

  it.each(cases.map((c) => [c.key, c] as const))('%s: no 5xx, JSON error shape', async (_key, c) => {
    const handler = (modules.find((m) => m.file === c.file)!.mod[c.method] as Handler).bind(null);
    const numRuns = c.fallback ? RUNS_PER_FALLBACK : (FEW_RUNS[`${c.method} /api/${c.pattern}`] ?? RUNS_PER_HANDLER);
    let failure: string | undefined;
    await fc.assert(
      fc.asyncProperty(requestFor(c), async (r) => {
        let problem: string | null;
        try {
          problem = checkAnswer(c, await send(handler, r));
        } catch (e) {
          problem = `threw instead of answering: ${e instanceof Error ? e.stack : String(e)}`;
        }
        if (problem) {
          failure = `${c.key} ${problem}\nrequest: ${describeRequest(r)}`;
          return false;
        }
        return true;
      }),
      // No shrinking: each step is a real request, and the first failing request is readable enough.
      { seed: SEED, numRuns, endOnFailure: true },
    ).catch((e: unknown) => {
      throw new Error(`hostile sweep failed (seed ${SEED}): ${failure ?? (e as Error).message}`);
    });
  });
});
