/**
 * Issue 9, "an audit trail that proves itself", against the real PostgreSQL server: the trigger refuses UPDATE,
 * DELETE and TRUNCATE for a normal connection; a superuser who disables it (as an attacker would) and updates,
 * deletes, swaps or forges rows is caught by verify, which names the first bad event and the problem; a truncated
 * tail is caught through the anchor on a local-disk destination; the old sha256 prefix stays verifiable.
 *
 * Own scratch database (migrated by the real migrator): the tampering here must never touch a chain other test
 * files verify. Each case snapshots the table, tampers, verifies, and puts the rows back as the superuser.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
// The route wrapper reads `req.nextUrl`, so the API case builds the request Next builds.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- see above
import { NextRequest } from 'next/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR, type Actor } from '@/server/auth/permissions';
import { createApiToken } from '@/server/auth/api-tokens';
import { createUser } from '@/server/auth/users';
import { db, disconnectDb } from '@/server/shared/db';
import { withTransaction } from '@/server/shared/context';
import { createDatabase, dropDatabase, serverUrl, uniqueName, withClient } from '@/server/testing/pg';
import { createLocalDiskDriver } from '@/server/storage/local-disk';
import { auditHeadKey } from '@/server/storage/layout';
import { anchorAuditHead } from './anchor-audit-head';
import { AUDIT_GENESIS, legacyHash, type ChainedFields } from './chain-hash';
import { onAuditVerifyFailure, runAuditCheck } from './daily-audit-check';
import { recordAudit } from './record-audit';
import { verifyAuditChain, verifyAuditTrail, type ChainReport } from './verify-audit-chain';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DATABASE = uniqueName('lb_audit_it');
const SCRATCH_URL = serverUrl(DATABASE);
// Before anything reads the environment: this file's catalog and master key are its own.
process.env.DATABASE_URL = SCRATCH_URL;
process.env.LIFEBOAT_MASTER_KEY = crypto.randomBytes(32).toString('hex');
process.env.LIFEBOAT_TRUST_PROXY = '1';

const LEGACY_EVENTS = 4;
const admin: Actor = {
  type: 'user',
  id: crypto.randomUUID(),
  label: 'admin@example.test',
  role: 'ADMIN',
  request: { id: 'req-audit-it', ip: '203.0.113.7', userAgent: 'audit-it/1.0' },
};
admin.userId = admin.id;
const token: Actor = { type: 'token', id: crypto.randomUUID(), label: 'token ci (lb_…, admin@example.test)', role: 'OPERATOR', userId: admin.id };

let tmp: string;

function run(cmd: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', ...cmd], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const sql = <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params: unknown[] = []) =>
  withClient(DATABASE, async (c) => (await c.query<R>(text, params)).rows);

/** What an attacker with the superuser password does: switch the triggers off, change rows, switch them back on. */
async function asAttacker(statements: string): Promise<void> {
  await withClient(DATABASE, async (c) => {
    await c.query('BEGIN');
    await c.query('ALTER TABLE "AuditEvent" DISABLE TRIGGER ALL');
    await c.query(statements);
    await c.query('ALTER TABLE "AuditEvent" ENABLE ALWAYS TRIGGER "AuditEvent_no_update_delete"');
    await c.query('ALTER TABLE "AuditEvent" ENABLE ALWAYS TRIGGER "AuditEvent_no_truncate"');
    await c.query('COMMIT');
  });
}

/** Runs `fn` and puts every audit row back as it was, so the next case starts from an intact chain. */
async function thenRestore(fn: () => Promise<void>): Promise<void> {
  await sql('DROP TABLE IF EXISTS audit_snapshot; CREATE TABLE audit_snapshot AS SELECT * FROM "AuditEvent"');
  try {
    await fn();
  } finally {
    await asAttacker('DELETE FROM "AuditEvent"; INSERT INTO "AuditEvent" SELECT * FROM audit_snapshot');
  }
  expect(await verifyAuditChain()).toMatchObject({ ok: true, firstBad: null });
}

const ids = async (): Promise<bigint[]> => (await db().auditEvent.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((r) => r.id);

async function record(n: number, actor: Actor = admin): Promise<void> {
  for (let i = 0; i < n; i++) {
    await withTransaction({ actor }, (tx) =>
      recordAudit(tx, actor, { action: 'backup.request', targetType: 'run', targetId: crypto.randomUUID(), details: { i, trigger: 'manual' } }),
    );
  }
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-audit-it-'));
  await createDatabase(DATABASE);
  const migrated = await run(['prisma/migrator/migrate.ts', 'deploy'], { DATABASE_URL: SCRATCH_URL });
  expect(migrated.code, migrated.stderr).toBe(0);

  // The chain as it was before issue 9: unkeyed sha256 events over the eight original fields, new columns at defaults.
  let prev = AUDIT_GENESIS;
  for (let i = 0; i < LEGACY_EVENTS; i++) {
    const f: ChainedFields = {
      at: new Date(Date.UTC(2026, 10, 1, 12, 0, i)),
      actorType: 'user',
      actorId: 'legacy-user',
      actorLabel: 'old@example.test',
      actorUserId: null,
      action: 'source.create',
      targetType: 'source',
      targetId: `legacy-${i}`,
      details: { name: `legacy ${i}` },
      result: 'ok',
      requestId: null,
      ip: null,
      userAgent: null,
      alg: 'sha256',
    };
    const hash = legacyHash(prev, f);
    await sql(
      `INSERT INTO "AuditEvent" (at, "actorType", "actorId", "actorLabel", action, "targetType", "targetId", details, "prevHash", hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [f.at, f.actorType, f.actorId, f.actorLabel, f.action, f.targetType, f.targetId, JSON.stringify(f.details), prev, hash],
    );
    prev = hash;
  }
  await record(6);
  await record(2, token);
});

afterAll(async () => {
  await disconnectDb();
  await dropDatabase(DATABASE);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the audit chain', () => {
  it('continues the old sha256 chain with an HMAC chain that starts at its head, and records who, from where', async () => {
    const rows = await db().auditEvent.findMany({ orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.alg)).toEqual([...Array(LEGACY_EVENTS).fill('sha256'), ...Array(9).fill('hmac-sha256')]);
    const start = rows[LEGACY_EVENTS]!;
    expect(start).toMatchObject({ action: 'audit.chain-start', prevHash: rows[LEGACY_EVENTS - 1]!.hash, actorType: 'system' });
    expect(start.details).toMatchObject({ previousHead: { id: rows[LEGACY_EVENTS - 1]!.id.toString(), hash: rows[LEGACY_EVENTS - 1]!.hash }, previousEvents: LEGACY_EVENTS });
    expect(rows[LEGACY_EVENTS + 1]).toMatchObject({
      actorId: admin.id,
      actorUserId: admin.id,
      result: 'ok',
      requestId: 'req-audit-it',
      ip: '203.0.113.7',
      userAgent: 'audit-it/1.0',
    });
    // A token acts for its owner: the token id and the person behind it.
    expect(rows.at(-1)).toMatchObject({ actorType: 'token', actorId: token.id, actorUserId: admin.id, requestId: null, ip: null });
    // Only one chain start, however many events follow.
    expect(rows.filter((r) => r.action === 'audit.chain-start')).toHaveLength(1);
    expect(await verifyAuditChain()).toMatchObject({ ok: true, checked: rows.length, firstBad: null, anchor: { ok: null } });
  });

  it('refuses UPDATE, DELETE and TRUNCATE for a normal connection, whatever its role or replication setting', async () => {
    await expect(db().auditEvent.updateMany({ data: { actorLabel: 'x' } })).rejects.toThrow(/append-only/);
    await expect(db().auditEvent.deleteMany({})).rejects.toThrow(/append-only/);
    await expect(db().$executeRawUnsafe('TRUNCATE "AuditEvent"')).rejects.toThrow(/append-only/);
    const role = uniqueName('lb_audit_writer');
    await sql(`CREATE ROLE ${role}; GRANT ALL ON "AuditEvent" TO ${role}`);
    try {
      await withClient(DATABASE, async (c) => {
        for (const statement of ['UPDATE "AuditEvent" SET result = \'failed\'', 'DELETE FROM "AuditEvent"', 'TRUNCATE "AuditEvent"']) {
          await expect(c.query(`SET ROLE ${role}; ${statement}`), statement).rejects.toThrow(/append-only/);
          await c.query('RESET ROLE');
          // ENABLE ALWAYS: a replica session (how logical replication and pg_restore --disable-triggers skip triggers) is refused too.
          await expect(c.query(`SET session_replication_role = replica; ${statement}`), statement).rejects.toThrow(/append-only/);
          await c.query('SET session_replication_role = DEFAULT');
        }
      });
    } finally {
      await sql(`REVOKE ALL ON "AuditEvent" FROM ${role}; DROP ROLE ${role}`);
    }
    expect(await verifyAuditChain()).toMatchObject({ ok: true });
  });

  it('names an updated event as changed', async () => {
    const target = (await ids())[LEGACY_EVENTS + 3]!;
    await thenRestore(async () => {
      await asAttacker(`UPDATE "AuditEvent" SET details = '{"i": 99}' WHERE id = ${target}`);
      expect(await verifyAuditChain()).toMatchObject({ ok: false, checked: LEGACY_EVENTS + 3, firstBad: { id: target.toString(), problem: 'changed' } });
    });
    // Even the columns the HMAC chain added (where from, the outcome) are covered.
    await thenRestore(async () => {
      await asAttacker(`UPDATE "AuditEvent" SET ip = '198.51.100.1', result = 'refused' WHERE id = ${target}`);
      expect(await verifyAuditChain()).toMatchObject({ ok: false, firstBad: { id: target.toString(), problem: 'changed' } });
    });
  });

  it('names the event after a deleted one as missing', async () => {
    const all = await ids();
    const gone = all[LEGACY_EVENTS + 2]!;
    await thenRestore(async () => {
      await asAttacker(`DELETE FROM "AuditEvent" WHERE id = ${gone}`);
      expect(await verifyAuditChain()).toMatchObject({ ok: false, firstBad: { id: all[LEGACY_EVENTS + 3]!.toString(), problem: 'missing' } });
    });
  });

  it('names swapped events as out of order', async () => {
    const all = await ids();
    const [a, b] = [all[LEGACY_EVENTS + 2]!, all[LEGACY_EVENTS + 3]!];
    await thenRestore(async () => {
      await asAttacker(`UPDATE "AuditEvent" SET id = -1 WHERE id = ${a}; UPDATE "AuditEvent" SET id = ${a} WHERE id = ${b}; UPDATE "AuditEvent" SET id = ${b} WHERE id = -1`);
      expect(await verifyAuditChain()).toMatchObject({ ok: false, checked: LEGACY_EVENTS + 2, firstBad: { id: a.toString(), problem: 'out of order' } });
    });
  });

  it('names a forged event slipped between two genuine ones as inserted', async () => {
    const all = await ids();
    const after = all[LEGACY_EVENTS + 2]!;
    await thenRestore(async () => {
      // Make room after `after` (ids are not hashed, so moving the later rows up changes nothing), then forge.
      await asAttacker(`
        UPDATE "AuditEvent" SET id = id + 1000000 WHERE id > ${after};
        INSERT INTO "AuditEvent" (id, at, "actorType", "actorId", "actorLabel", action, "targetType", "targetId", details, "actorUserId", result, alg, "prevHash", hash)
        SELECT ${after} + 1, at, "actorType", "actorId", "actorLabel", 'key.export', 'encryption_key', NULL, '{}', "actorUserId", 'ok', 'hmac-sha256', hash,
               encode(sha256('forged'::bytea), 'hex')
        FROM "AuditEvent" WHERE id = ${after}`);
      expect(await verifyAuditChain()).toMatchObject({ ok: false, checked: LEGACY_EVENTS + 3, firstBad: { id: (after + 1n).toString(), problem: 'inserted' } });
    });
  });

  it('keeps the old sha256 prefix verifiable: an edit there is found, re-hashed or not', async () => {
    const all = await ids();
    await thenRestore(async () => {
      await asAttacker(`UPDATE "AuditEvent" SET "actorLabel" = 'someone-else@example.test' WHERE id = ${all[1]}`);
      expect(await verifyAuditChain()).toMatchObject({ ok: false, checked: 1, firstBad: { id: all[1]!.toString(), problem: 'changed' } });
    });
    await thenRestore(async () => {
      // The unkeyed hashes can be recomputed by anyone: rewrite event 2 and re-hash the rest of the old prefix.
      const rows = await db().auditEvent.findMany({ where: { alg: 'sha256' }, orderBy: { id: 'asc' } });
      let prev = AUDIT_GENESIS;
      const updates: string[] = [];
      for (const [i, r] of rows.entries()) {
        const f = { ...r, actorLabel: i === 1 ? 'someone-else@example.test' : r.actorLabel };
        const hash = legacyHash(prev, f);
        updates.push(`UPDATE "AuditEvent" SET "actorLabel" = '${f.actorLabel}', "prevHash" = '${prev}', hash = '${hash}' WHERE id = ${r.id}`);
        prev = hash;
      }
      await asAttacker(updates.join(';\n'));
      const report = await verifyAuditChain();
      expect(report).toMatchObject({ ok: false, checked: LEGACY_EVENTS, firstBad: { id: all[LEGACY_EVENTS - 1]!.toString(), problem: 'changed' } });
      expect(report.firstBad!.detail).toMatch(/rewritten/);
    });
  });

  it('detects a truncated tail through the anchor on a destination, and will not anchor the truncated chain', async () => {
    const dir = path.join(tmp, 'anchors');
    const destination = await db().destination.create({ data: { name: uniqueName('audit-anchor'), kind: 'local', config: { path: dir } } });
    const anchored = await anchorAuditHead({ actor: admin });
    expect(anchored.destinations).toEqual([{ destinationId: destination.id, destination: destination.name, ok: true, error: null }]);
    const file = JSON.parse(fs.readFileSync(path.join(dir, auditHeadKey(new Date())), 'utf8'));
    expect(file).toMatchObject({ sequence: Number(anchored.sequence), hash: anchored.hash, at: anchored.at });
    expect(await db().auditAnchor.findMany({ where: { destinationId: destination.id } })).toMatchObject([
      { sequence: BigInt(anchored.sequence), hash: anchored.hash, key: auditHeadKey(new Date()), ok: true },
    ]);
    expect(await verifyAuditChain()).toMatchObject({ ok: true, anchor: { destination: destination.name, sequence: anchored.sequence, ok: true } });

    await thenRestore(async () => {
      // The newest events go (the anchored head and the audit.anchor event after it): what is left still links up.
      await asAttacker(`DELETE FROM "AuditEvent" WHERE id >= ${anchored.sequence}`);
      const report = await verifyAuditChain();
      expect(report).toMatchObject({ ok: false, firstBad: null, anchor: { destination: destination.name, sequence: anchored.sequence, ok: false } });
      expect(report.anchor.detail).toMatch(/truncated|older backup/);

      // The ratchet: the truncated head is never written as the new truth, and the refusal is on the record.
      await expect(anchorAuditHead({ actor: admin })).rejects.toMatchObject({ code: 'INVALID_STATE' });
      expect(await db().auditEvent.findFirst({ where: { action: 'audit.anchor', result: 'refused' } })).not.toBeNull();

      // The recurring check reports it loudly, once per period, to the hook notifications will use.
      const seen: ChainReport[] = [];
      const off = onAuditVerifyFailure((r) => void seen.push(r));
      const tomorrow = new Date(Date.now() + 86_400_000);
      try {
        expect(await runAuditCheck(tomorrow, 86_400)).toMatchObject({ skipped: false, report: { ok: false } });
        expect(await runAuditCheck(tomorrow, 86_400)).toEqual({ skipped: true });
      } finally {
        off();
      }
      expect(seen).toHaveLength(1);
      expect(await db().auditEvent.findFirst({ where: { action: 'audit.verify-failed' } })).toMatchObject({
        result: 'failed',
        details: { anchor: { sequence: anchored.sequence, ok: false } },
      });

      // The CLI says so with exit status 1.
      const cli = await run(['server/cli/main.ts', 'audit-verify'], {});
      expect(cli.code, cli.stdout + cli.stderr).toBe(1);
      expect(cli.stderr).toMatch(/FAILED/);
    });

    const cli = await run(['server/cli/main.ts', 'audit-verify'], {});
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/audit chain intact/);
    await db().destination.delete({ where: { id: destination.id } });
  });

  it('fails the anchor check on a forged anchor file (written without the master key)', async () => {
    const dir = path.join(tmp, 'forged');
    const destination = await db().destination.create({ data: { name: uniqueName('audit-forged'), kind: 'local', config: { path: dir } } });
    try {
      const head = await db().auditEvent.findFirstOrThrow({ orderBy: { id: 'asc' } });
      const forged = { format: 'lifeboat-audit-head/v1', sequence: Number(head.id), hash: head.hash, at: new Date(Date.now() + 86_400_000).toISOString(), mac: '0'.repeat(64) };
      await createLocalDiskDriver({ root: dir }).put('audit/heads/2999-01-01.json', Readable.from([JSON.stringify(forged)]));
      expect(await verifyAuditChain()).toMatchObject({ ok: false, firstBad: null, anchor: { destination: destination.name, ok: false, detail: expect.stringMatching(/HMAC/) } });
    } finally {
      await db().destination.delete({ where: { id: destination.id } });
    }
  });

  it('runs the recurring check once per period: verify, then anchor every destination', async () => {
    const dir = path.join(tmp, 'daily');
    const destination = await db().destination.create({ data: { name: uniqueName('audit-daily'), kind: 'local', config: { path: dir } } });
    try {
      const later = new Date(Date.now() + 3 * 86_400_000);
      const first = await runAuditCheck(later, 86_400);
      expect(first).toMatchObject({ skipped: false, report: { ok: true }, anchored: { destinations: [{ destination: destination.name, ok: true }] } });
      expect(fs.existsSync(path.join(dir, auditHeadKey(later)))).toBe(true);
      expect(await runAuditCheck(later, 86_400)).toEqual({ skipped: true });
    } finally {
      await db().destination.delete({ where: { id: destination.id } });
    }
  });

  it('lets whoever may read the trail verify it, and nobody else', async () => {
    await expect(verifyAuditTrail({ actor: { ...admin, role: 'VIEWER' } })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(verifyAuditTrail({ actor: { ...admin, role: 'APPROVER' } })).resolves.toMatchObject({ ok: true });
    await expect(anchorAuditHead({ actor: { ...admin, role: 'APPROVER' } })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('the API', () => {
  it('records who and from where through the route wrapper, and answers verify and anchors in their shapes', async () => {
    const dir = path.join(tmp, 'api');
    const destination = await db().destination.create({ data: { name: uniqueName('audit-api'), kind: 'local', config: { path: dir } } });
    const owner = await createUser({ actor: SYSTEM_ACTOR }, { email: `${uniqueName('api')}@example.test`, name: 'api', role: 'ADMIN', password: crypto.randomBytes(18).toString('base64url') });
    const created = await createApiToken({ actor: SYSTEM_ACTOR }, owner.id, { name: uniqueName('api'), role: 'ADMIN' });
    const call = async (mod: Record<string, unknown>, method: string, url: string, headers: Record<string, string> = {}) => {
      const handler = mod[method] as (req: NextRequest, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
      const req = new NextRequest(`http://lifeboat.test${url}`, { method, headers: { authorization: `Bearer ${created.token}`, ...headers } });
      const res = await handler(req, { params: Promise.resolve({}) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      const anchors = await import('@/app/api/v1/audit/anchors/route');
      const posted = await call(anchors, 'POST', '/api/v1/audit/anchors', {
        'x-request-id': 'req-from-proxy-42',
        'x-forwarded-for': '198.51.100.23, 10.0.0.2',
        'user-agent': 'audit-api-test/2',
      });
      expect(posted).toMatchObject({ status: 201, body: { key: auditHeadKey(new Date()), destinations: [{ destination: destination.name, ok: true }] } });
      const event = await db().auditEvent.findFirstOrThrow({ where: { action: 'audit.anchor' }, orderBy: { id: 'desc' } });
      expect(event).toMatchObject({
        actorType: 'token',
        actorId: created.id,
        actorUserId: owner.id,
        result: 'ok',
        requestId: 'req-from-proxy-42',
        ip: '198.51.100.23',
        userAgent: 'audit-api-test/2',
        alg: 'hmac-sha256',
      });

      const verify = await import('@/app/api/v1/audit/verify/route');
      const verified = await call(verify, 'GET', '/api/v1/audit/verify');
      expect(verified).toMatchObject({
        status: 200,
        body: { ok: true, firstBad: null, anchor: { destination: destination.name, sequence: (posted.body as { sequence: string }).sequence, ok: true } },
      });
      expect(verified.body.checked).toBe(await db().auditEvent.count());
      expect(typeof verified.body.verifiedAt).toBe('string');

      const listed = await call(anchors, 'GET', '/api/v1/audit/anchors');
      expect(listed).toMatchObject({ status: 200, body: { items: [{ destination: destination.name, ok: true }] } });

      // The list's new filters, and its new fields.
      const list = await import('@/app/api/v1/audit/route');
      const mine = await call(list, 'GET', `/api/v1/audit?actor=${owner.id}&action=audit.anchor`);
      expect(mine).toMatchObject({ status: 200, body: { items: [{ action: 'audit.anchor', actorUserId: owner.id, ip: '198.51.100.23', requestId: 'req-from-proxy-42' }] } });
    } finally {
      await db().destination.delete({ where: { id: destination.id } });
    }
  });
});
