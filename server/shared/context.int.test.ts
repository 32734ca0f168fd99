import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { verifyAuditChain } from '@/server/audit/verify-audit-chain';
import { createPolicy } from '@/server/policies/create-policy';
import { setPolicyRetention } from '@/server/retention/set-policy-retention';
import { uniqueName } from '@/server/testing/pg';
import { afterCommit, withTransaction } from './context';
import { db, disconnectDb } from './db';

// Issue 7, "verb context": verbs take `(ctx: { actor, tx? }, input)`, so two verbs share one transaction and their
// changes and audit events commit, or roll back, together.

const operator: Actor = { type: 'system', id: null, label: 'verb context test operator', role: 'OPERATOR' };

let tmp: string;
let destinationId: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-context-test-'));
  destinationId = (await db().destination.create({ data: { name: uniqueName('dest'), kind: 'local', config: { path: tmp } } })).id;
});

afterAll(async () => {
  // Audit events stay: the chain is append-only.
  await db().policy.deleteMany({ where: { destinationId } });
  await db().destination.delete({ where: { id: destinationId } });
  await disconnectDb();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const auditOf = (policyId: string) =>
  db().auditEvent.findMany({ where: { targetType: 'policy', targetId: policyId }, orderBy: { id: 'asc' }, select: { action: true } });

class Abort extends Error {}

describe('verbs in one shared transaction', () => {
  it('commit together, with both audit events, when the caller commits', async () => {
    const name = uniqueName('policy');
    const policyId = await db().$transaction(async (tx) => {
      const ctx = { actor: operator, tx };
      const policy = await createPolicy(ctx, { name, destinationId });
      // The second verb sees the first's uncommitted row: it runs in the same transaction.
      await setPolicyRetention(ctx, policy.id, { keepLast: 3 });
      return policy.id;
    });
    const row = await db().policy.findUnique({ where: { id: policyId } });
    expect(row).toMatchObject({ name, retention: expect.objectContaining({ keepLast: 3 }) });
    expect((await auditOf(policyId)).map((e) => e.action)).toEqual(['policy.create', 'policy.retention-set']);
    // The chain itself; the anchor half depends on what other test files left on shared destination folders.
    expect((await verifyAuditChain()).firstBad).toBeNull();
  });

  it('leave neither rows nor audit events when the caller throws after them', async () => {
    const name = uniqueName('policy');
    let policyId: string | undefined;
    const outcome = await db()
      .$transaction(async (tx) => {
        const ctx = { actor: operator, tx };
        policyId = (await createPolicy(ctx, { name, destinationId })).id;
        await setPolicyRetention(ctx, policyId, { keepLast: 3 });
        // Both verbs have returned; had either opened its own transaction, its change would be committed by now.
        throw new Abort('the caller fails after both verbs');
      })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(Abort);
    expect(policyId).toBeDefined();
    expect(await db().policy.findFirst({ where: { OR: [{ id: policyId }, { name }] } })).toBeNull();
    expect(await auditOf(policyId!)).toEqual([]);
    // The chain itself; the anchor half depends on what other test files left on shared destination folders.
    expect((await verifyAuditChain()).firstBad).toBeNull();
  });

  it('withTransaction opens one transaction for both and runs after-commit work only once it commits', async () => {
    const ran: string[] = [];
    const committed = await withTransaction({ actor: operator }, async (_tx, ctx) => {
      const policy = await createPolicy(ctx, { name: uniqueName('policy'), destinationId });
      await setPolicyRetention(ctx, policy.id, { keepLast: 1 });
      await afterCommit(ctx, async () => {
        // Runs after the commit: another connection sees the row.
        ran.push((await db().policy.findUnique({ where: { id: policy.id } }))?.id ?? 'not committed');
      });
      expect(ran).toEqual([]);
      return policy.id;
    });
    expect(ran).toEqual([committed]);

    const rolledBack = await withTransaction({ actor: operator }, async (_tx, ctx) => {
      const policy = await createPolicy(ctx, { name: uniqueName('policy'), destinationId });
      await afterCommit(ctx, () => ran.push('after a rollback'));
      throw new Abort(policy.id);
    }).catch((e: unknown) => e as Abort);
    expect(ran).toEqual([committed]);
    expect(await db().policy.findUnique({ where: { id: rolledBack.message } })).toBeNull();
    expect(await auditOf(rolledBack.message)).toEqual([]);
  });

  it('refuses after-commit work in a transaction that cannot say when it commits', async () => {
    const ran: string[] = [];
    const refused = await db()
      .$transaction((tx) => afterCommit({ actor: operator, tx }, () => ran.push('too early')))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(String(refused)).toMatch(/withTransaction/);
    expect(ran).toEqual([]);
  });
});
