/**
 * Issue 10 item 6: downloading one object of a recovery point, decoded. Real backups by a real worker (pg_dump →
 * zstd → age → local disk, plus a copy on a second local destination), read back through the route handler with
 * bearer tokens, as a client calls the API: the bytes are what the standard tools decode the stored file to and
 * pg_restore lists them; a damaged or missing primary falls back to the copy; when every copy is damaged the answer
 * is CHECKSUM_MISMATCH with no byte of the object; a viewer is refused; every download is audited.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// The handlers read `req.nextUrl`, so the test builds the request Next builds; only tests load next/server.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- see above
import { NextRequest } from 'next/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWritePipeline } from '@/server/artifacts/pipeline';
import { generateIdentity } from '@/server/artifacts/keys';
import { childProcesses, generatedInput, waitFor } from '@/server/artifacts/test-support';
import { createApiToken } from '@/server/auth/api-tokens';
import { SYSTEM_ACTOR, type Role } from '@/server/auth/permissions';
import { createSource } from '@/server/inventory/create-source';
import { closeProducer } from '@/server/jobs/producer';
import { openIdentity } from '@/server/keys/open-identity';
import { sealIdentity } from '@/server/keys/ensure-active-key';
import { requestBackup } from '@/server/runs/request-backup';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { db, disconnectDb } from '@/server/shared/db';
import { env } from '@/server/shared/env';
import { SAMPLE_SCHEMA_SQL, connectionParts, createDatabase, dropDatabase, uniqueName } from '@/server/testing/pg';
import { spawnWorker, type SpawnedWorker } from '@/workers/testing/spawn-worker';
import { waitForRun } from '@/workers/testing/run-fixtures';
import * as contentRoute from '@/app/api/v1/recovery-points/[id]/objects/[role]/content/route';
import { downloadObject } from '.';

// This file's own queue, consumed by this file's worker only.
process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-download');
const WORKER_ENV = { LIFEBOAT_HEARTBEAT_MS: '1000', LIFEBOAT_RUN_STALE_SECONDS: '4', LIFEBOAT_SWEEP_MS: '1000', LIFEBOAT_QUEUE_PREFIX: process.env.LIFEBOAT_QUEUE_PREFIX };
const MiB = 1024 * 1024;
// Big enough that holding it (or the decoded stream) would show far above the bound; small enough for 2 shared cores.
const BIG_BYTES = Number(process.env.LIFEBOAT_DOWNLOAD_BIG_BYTES ?? 256 * MiB);
// As in server/artifacts/memory.int.test.ts: a few buffers and allocator slack, never the object.
const MAX_RSS_GROWTH_BYTES = 100 * MiB;

const operatorActor = { actor: { type: 'system' as const, id: null, label: 'download test', role: 'OPERATOR' as const } };

type Handler = (req: NextRequest, ctx: { params: Promise<{ id: string; role: string }> }) => Promise<Response> | Response;

interface Person {
  id: string;
  token: string;
}

const sourceDb = uniqueName('lbt_download');
const sourceName = `orders download ${crypto.randomBytes(3).toString('hex')}`;
let tmp: string;
let primaryDir: string;
let copyDir: string;
let worker: SpawnedWorker | undefined;
let sourceId = '';
let operator: Person;
let viewer: Person;
const made = { users: [] as string[], keys: [] as string[], destinations: [] as string[], policy: '' };
/** Three backups of the source: intact, to damage, to lose. */
let points: Array<{ id: string; location: string; rawBytes: bigint | null; keyId: string | null; createdAt: Date }> = [];

async function person(role: Role): Promise<Person> {
  const user = await db().user.create({ data: { email: `${uniqueName(role.toLowerCase())}@download.test`, name: role, role, passwordHash: null } });
  made.users.push(user.id);
  const { token } = await createApiToken({ actor: SYSTEM_ACTOR }, user.id, { name: uniqueName('tok'), role });
  return { id: user.id, token };
}

/** GET …/content as the holder of `token`: status, headers, the body's bytes. */
async function download(token: string, pointId: string, role = 'data') {
  const req = new NextRequest(`http://lifeboat.test/api/v1/recovery-points/${pointId}/objects/${role}/content`, { headers: { authorization: `Bearer ${token}` } });
  const res = await (contentRoute.GET as Handler)(req, { params: Promise.resolve({ id: pointId, role }) });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) as { error: { code: string; message: string; details?: unknown } } };
}

const sha256 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** What the standard tools make of a stored file: `age -d -i key | zstd -d`, hashed. */
async function decodedWithTools(file: string, keyId: string): Promise<string> {
  const keyFile = path.join(tmp, `key-${keyId}.txt`);
  fs.writeFileSync(keyFile, `${await openIdentity(keyId)}\n`, { mode: 0o600 });
  const out = execFileSync('bash', ['-o', 'pipefail', '-c', 'age -d -i "$K" "$F" | zstd -d | sha256sum'], { env: { ...process.env, K: keyFile, F: file } });
  return out.toString().split(' ')[0]!;
}

async function downloadEvents(pointId: string) {
  return db().auditEvent.findMany({ where: { action: 'recovery-point.download', targetId: pointId }, orderBy: { id: 'asc' } });
}

/** Flips one byte in the middle of a stored file (written read-only by the driver). */
function corrupt(file: string): void {
  const bytes = fs.readFileSync(file);
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  fs.chmodSync(file, 0o600);
  fs.writeFileSync(file, bytes);
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-download-test-'));
  primaryDir = path.join(tmp, 'primary');
  copyDir = path.join(tmp, 'copy');
  fs.mkdirSync(primaryDir);
  fs.mkdirSync(copyDir);
  const primary = await db().destination.create({ data: { name: uniqueName('dl-primary'), kind: 'local', config: { path: primaryDir } } });
  const copy = await db().destination.create({ data: { name: uniqueName('dl-copy'), kind: 'local', config: { path: copyDir } } });
  made.destinations.push(primary.id, copy.id);
  const policy = await db().policy.create({
    data: { name: uniqueName('dl-policy'), destinationId: primary.id, copies: { create: [{ destinationId: copy.id, position: 0 }] } },
  });
  made.policy = policy.id;
  const [spawned] = await Promise.all([spawnWorker(WORKER_ENV), createDatabase(sourceDb, SAMPLE_SCHEMA_SQL)]);
  worker = spawned;
  const pgc = connectionParts();
  const source = await createSource({ actor: SYSTEM_ACTOR }, {
    kind: 'postgres',
    name: sourceName,
    config: { host: pgc.host, port: pgc.port, database: sourceDb, user: pgc.user, ...(pgc.password ? { password: pgc.password } : {}) },
    policyId: policy.id,
    testConnection: false,
  });
  sourceId = source.id;
  [operator, viewer] = await Promise.all([person('OPERATOR'), person('VIEWER')]);
  const backups = await Promise.all([1, 2, 3].map(() => requestBackup({ actor: SYSTEM_ACTOR }, source.id)));
  for (const b of backups) {
    const run = await waitForRun(b.id, (r) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.status), 60_000, () => worker?.output() ?? '');
    expect(run.status, run.error ?? '').toBe('SUCCEEDED');
  }
  points = await Promise.all(backups.map((b) => db().recoveryPoint.findUniqueOrThrow({ where: { runId: b.id } })));
  // The copies are made after the backups commit; the fallback needs them OK.
  const until = Date.now() + 60_000;
  for (;;) {
    const ok = await db().recoveryPointCopy.count({ where: { recoveryPointId: { in: points.map((p) => p.id) }, status: 'COPY_OK' } });
    if (ok === points.length) break;
    if (Date.now() > until) throw new Error(`copies not OK in time\n${worker?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await db().run.updateMany({ where: { sourceId }, data: { inputPointId: null } });
  await db().recoveryPoint.deleteMany({ where: { sourceId } });
  await db().run.deleteMany({ where: { sourceId } });
  await db().source.deleteMany({ where: { id: sourceId } });
  await db().policy.deleteMany({ where: { id: made.policy } });
  await db().destination.deleteMany({ where: { id: { in: made.destinations } } });
  await db().encryptionKey.deleteMany({ where: { id: { in: made.keys } } });
  await db().apiToken.deleteMany({ where: { ownerId: { in: made.users } } });
  await db().user.deleteMany({ where: { id: { in: made.users } } });
  await dropDatabase(sourceDb);
  await closeProducer();
  await disconnectDb();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('GET /recovery-points/{id}/objects/{role}/content', () => {
  it('streams the decoded dump as an attachment: the bytes the standard tools decode, which pg_restore lists; audited', async () => {
    const point = points[0]!;
    const res = await download(operator.token, point.id);
    expect(res.status, res.body.toString('utf8', 0, 500)).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const date = point.createdAt.toISOString();
    const stamp = `${date.slice(0, 10)}T${date.slice(11, 13)}${date.slice(14, 16)}Z`;
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${sourceName.replaceAll(' ', '-')}-${stamp}-data.pgdump"`);
    expect(res.headers.get('content-length')).toBe(String(point.rawBytes));
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.length).toBe(Number(point.rawBytes));
    expect(res.body.subarray(0, 5).toString('latin1')).toBe('PGDMP');
    expect(sha256(res.body)).toBe(await decodedWithTools(path.join(primaryDir, point.location), point.keyId!));
    const file = path.join(tmp, 'downloaded.pgdump');
    fs.writeFileSync(file, res.body);
    const list = execFileSync('pg_restore', ['--list', file]).toString();
    expect(list).toMatch(/TABLE DATA public customers/);

    const events = await downloadEvents(point.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actorType: 'token',
      actorUserId: operator.id,
      targetType: 'recovery-point',
      result: 'ok',
      details: { role: 'data', size: expect.any(Number), rawSize: Number(point.rawBytes), from: expect.stringMatching(/^primary destination /) },
    });
    // Nothing of the download is left behind: no spool (local disk is read twice), no identity file.
    const spool = path.join(path.resolve(env().LIFEBOAT_DATA_DIR), 'tmp');
    expect(fs.existsSync(spool) ? fs.readdirSync(spool) : []).toEqual([]);
  });

  it('refuses a viewer (403), an unknown point or role (404) and a path that is not a role (404), auditing none', async () => {
    const point = points[0]!;
    const before = (await downloadEvents(point.id)).length;
    const refused = await download(viewer.token, point.id);
    expect(refused.status).toBe(403);
    expect(refused.json().error).toMatchObject({ code: 'FORBIDDEN', message: 'A viewer may not request restores' });
    const unknownPoint = await download(operator.token, crypto.randomUUID());
    expect(unknownPoint.status).toBe(404);
    expect(unknownPoint.json().error.code).toBe('NOT_FOUND');
    const unknownRole = await download(operator.token, point.id, 'db.nope');
    expect(unknownRole.status).toBe(404);
    expect(unknownRole.json().error).toMatchObject({ code: 'NOT_FOUND', message: `recovery point ${point.id} holds no object "db.nope"` });
    const badRole = await download(operator.token, point.id, '..%2F..%2Fetc');
    expect(badRole.status).toBe(404);
    expect((await downloadEvents(point.id)).length).toBe(before);
  });

  it('falls back to the OK copy when the primary is damaged; CHECKSUM_MISMATCH with no byte sent once the copy is damaged too', async () => {
    const point = points[1]!;
    const want = await decodedWithTools(path.join(copyDir, point.location), point.keyId!);
    corrupt(path.join(primaryDir, point.location));
    const fromCopy = await download(operator.token, point.id);
    expect(fromCopy.status).toBe(200);
    expect(sha256(fromCopy.body)).toBe(want);
    expect((await downloadEvents(point.id)).at(-1)).toMatchObject({ result: 'ok', details: { role: 'data', from: expect.stringMatching(/^copy on destination /) } });

    corrupt(path.join(copyDir, point.location));
    const none = await download(operator.token, point.id);
    expect(none.status).toBe(502);
    expect(none.headers.get('content-type')).toMatch(/^application\/json/);
    expect(none.headers.get('content-disposition')).toBeNull();
    const error = none.json().error;
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(error.message).toMatch(/nothing was sent/);
    expect(error.details).toMatchObject({
      tried: [
        { from: expect.stringMatching(/^primary destination /), problem: expect.stringMatching(/^CHECKSUM_MISMATCH: /) },
        { from: expect.stringMatching(/^copy on destination /), problem: expect.stringMatching(/^CHECKSUM_MISMATCH: /) },
      ],
    });
    // The JSON error is all there is: no PGDMP header, nothing of the dump.
    expect(none.body.includes(Buffer.from('PGDMP'))).toBe(false);
    expect((await downloadEvents(point.id)).at(-1)).toMatchObject({ result: 'failed', details: { role: 'data', error: 'CHECKSUM_MISMATCH' } });
  });

  it('falls back to the copy when the primary object is missing; OBJECT_UNREADABLE once both are gone', async () => {
    const point = points[2]!;
    fs.rmSync(path.join(primaryDir, point.location));
    const fromCopy = await download(operator.token, point.id);
    expect(fromCopy.status).toBe(200);
    expect(fromCopy.body.subarray(0, 5).toString('latin1')).toBe('PGDMP');
    expect(fromCopy.body.length).toBe(Number(point.rawBytes));
    fs.rmSync(path.join(copyDir, point.location));
    const none = await download(operator.token, point.id);
    expect(none.status).toBe(502);
    expect(none.json().error).toMatchObject({ code: 'OBJECT_UNREADABLE', details: { tried: [{ problem: expect.stringMatching(/^NOT_FOUND/) }, { problem: expect.stringMatching(/^NOT_FOUND/) }] } });
  });

  it('refuses a point whose key was shredded with 409 and says so', async () => {
    const key = await db().encryptionKey.create({
      data: { name: uniqueName('dl-shredded'), recipient: `age1${crypto.randomBytes(20).toString('hex')}`, active: false, retiredAt: new Date(), shreddedAt: new Date() },
    });
    made.keys.push(key.id);
    const point = await pointRow({ keyId: key.id, codec: 'zstd+age', location: `sources/${sourceId}/shredded/data.pgdump.zst.age`, sizeBytes: 10n, sha256: sha256(Buffer.from('x')) });
    const res = await download(operator.token, point.id);
    expect(res.status).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'INVALID_STATE', message: expect.stringMatching(/was shredded on .*; its recovery points cannot be read/) });
  });
});

describe('streaming: a multi-object point, a large object, the decode checks', () => {
  it(`streams one ${BIG_BYTES / MiB} MiB object of several by its role with flat RSS, bytes equal to the original`, { timeout: 300_000 }, async () => {
    const pair = await generateIdentity();
    const keyId = crypto.randomUUID();
    await db().encryptionKey.create({ data: { id: keyId, name: uniqueName('dl-key'), recipient: pair.recipient, sealedIdentity: sealIdentity(keyId, pair.identity), active: false, retiredAt: new Date() } });
    made.keys.push(keyId);
    const driver = createLocalDiskDriver({ root: primaryDir });
    const prefix = `sources/${sourceId}/2026/01/01/${crypto.randomUUID()}/`;
    const store = async (key: string, bytes: number) => {
      const written = createWritePipeline(generatedInput(bytes).stream, { compression: { level: 1 }, recipients: [pair.recipient] });
      const [stored, result] = await Promise.all([driver.put(key, written.stream), written.done]);
      return { key, sizeBytes: BigInt(stored.size), sha256: stored.sha256, codec: result.codec, rawBytes: BigInt(result.rawBytes!), rawSha256: result.rawSha256! };
    };
    const small = await store(`${prefix}globals.sql.zst.age`, 4096);
    const big = await store(`${prefix}db.big.pgdump.zst.age`, BIG_BYTES);
    const point = await pointRow({ keyId, codec: small.codec, location: small.key, sizeBytes: small.sizeBytes, sha256: small.sha256, rawBytes: small.rawBytes, rawSha256: small.rawSha256 });
    await db().recoveryPointObject.createMany({
      data: [
        { recoveryPointId: point.id, role: 'globals', position: 0, ...small, details: {} },
        { recoveryPointId: point.id, role: 'db.big', position: 1, ...big, details: { database: 'big' } },
      ],
    });

    const file = await downloadObject(operatorActor, point.id, 'db.big');
    expect(file.filename).toMatch(/^orders-download-[0-9a-f]{6}-\d{4}-\d{2}-\d{2}T\d{4}Z-db\.big\.pgdump$/);
    expect(file.contentLength).toBe(BIG_BYTES);
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    const reader = file.stream.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.length;
      hash.update(value);
    }
    clearInterval(sampler);
    expect(bytes).toBe(BIG_BYTES);
    expect(hash.digest('hex')).toBe(big.rawSha256);
    expect(peak - baseline).toBeLessThan(MAX_RSS_GROWTH_BYTES);
    console.log(`[download] ${BIG_BYTES / MiB} MiB decoded; RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak +${((peak - baseline) / MiB).toFixed(1)} MiB`);

    // The other object is there by its own role; stopping early (a client going away) ends the decoders.
    const globals = await downloadObject(operatorActor, point.id, 'globals');
    expect(globals.filename).toMatch(/-globals\.sql$/);
    expect(Buffer.from(await new Response(globals.stream).arrayBuffer()).length).toBe(4096);
    const partial = await downloadObject(operatorActor, point.id, 'db.big');
    const partialReader = partial.stream.getReader();
    expect((await partialReader.read()).done).toBe(false);
    await partialReader.cancel();
    await waitFor(async () => (await childProcesses()).length === 0, 10_000);
  });

  it('never completes a download whose decoded bytes fail a check: the stream errors short of the end', async () => {
    const pair = await generateIdentity();
    const keyId = crypto.randomUUID();
    await db().encryptionKey.create({ data: { id: keyId, name: uniqueName('dl-key'), recipient: pair.recipient, sealedIdentity: sealIdentity(keyId, pair.identity), active: false, retiredAt: new Date() } });
    made.keys.push(keyId);
    const driver = createLocalDiskDriver({ root: primaryDir });
    const key = `sources/${sourceId}/2026/01/02/${crypto.randomUUID()}/data.pgdump.zst.age`;
    const written = createWritePipeline(generatedInput(4 * MiB).stream, { compression: { level: 1 }, recipients: [pair.recipient] });
    const [stored, result] = await Promise.all([driver.put(key, written.stream), written.done]);
    // The stored object is intact (it passes the first check), but the catalog records another raw sha256: the decode
    // pass finds out only at the very end, after every byte went through.
    const point = await pointRow({ keyId, codec: result.codec, location: key, sizeBytes: BigInt(stored.size), sha256: stored.sha256, rawBytes: BigInt(result.rawBytes!), rawSha256: '0'.repeat(64) });
    const file = await downloadObject(operatorActor, point.id, 'data');
    expect(file.contentLength).toBe(4 * MiB);
    let received = 0;
    const reader = file.stream.getReader();
    const outcome = await (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'ended';
        received += value.length;
      }
    })().catch((err: unknown) => err);
    expect(outcome).toMatchObject({ code: 'RAW_CHECKSUM_MISMATCH' });
    expect(received).toBeLessThan(4 * MiB);
  });
});

/** A point row of this file's source (as older code paths and tests insert them: without object rows). */
async function pointRow(fields: { keyId: string | null; codec: string; location: string; sizeBytes: bigint; sha256: string; rawBytes?: bigint; rawSha256?: string }) {
  const run = await db().run.create({ data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId, destinationId: made.destinations[0]!, startedAt: new Date(), finishedAt: new Date() } });
  return db().recoveryPoint.create({
    data: { sourceId, runId: run.id, destinationId: made.destinations[0]!, engine: 'postgres', manifest: {}, ...fields },
  });
}
