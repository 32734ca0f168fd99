/**
 * Issue 9's model-based acceptance test: random sequences of request / approve / reject / edit / expire /
 * disable-user / demote / promote / execute / break-glass / sweep by random people, each acting through a session or
 * their own token, against the real verbs and database. After every step the database must show: no request
 * executed without the required number of distinct eligible approvers (judged by the roles at that moment), no
 * approval by the requester, an edit leaves no approval counting, an expired or rejected request never runs,
 * break-glass only by an enabled admin, and one run per executed request.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor, Role } from '@/server/auth/permissions';
import { closeProducer } from '@/server/jobs/producer';
import { db, disconnectDb } from '@/server/shared/db';
import { getEngine } from '@/server/engines/registry';
import { isDomainError } from '@/server/shared/errors';
import { uniqueName } from '@/server/testing/pg';
import {
  approveRestoreRequest,
  breakGlassRestoreRequest,
  createRestoreRequest,
  executeRestoreRequest,
  expireRestoreRequests,
  rejectRestoreRequest,
  updateRestoreRequest,
} from '.';
import { countingApprovers, isSatisfied, type PersonNow } from './rules';
import { cleanupAll, person, restorableSource, sessionOf, tokenOf, type Fixture, type Person } from './test-fixtures';

process.env.LIFEBOAT_QUEUE_PREFIX = uniqueName('lbtest-approvals-model');

// A quarter of the decisions and half the edits come from the request's own requester (self-approval attempts, edits
// that void approvals), the rest from anyone.
const asRequester = (oneIn: number) => fc.nat({ max: oneIn - 1 }).map((n) => n === 0);
// 40 sequences of up to 24 steps: about 500 real transactions with target checks, ~1 min on 2 shared cores.
// MODEL_RUNS / MODEL_SEED explore further.
const RUNS = Number(process.env.MODEL_RUNS ?? 40);
const SEED = Number(process.env.MODEL_SEED ?? 20_261_202);

const DESTRUCTIVE = getEngine('postgres').restoreModes.find((m) => m.destructive)?.mode;
const START_ROLES: Role[] = ['OPERATOR', 'ADMIN', 'APPROVER', 'APPROVER', 'APPROVER', 'ADMIN'];
let people: Person[] = [];
let sources: Fixture[] = [];

beforeAll(async () => {
  people = await Promise.all(START_ROLES.map((r, i) => person(r, `model${i}`)));
  sources = await Promise.all([restorableSource(1), restorableSource(2), restorableSource(null)]);
});

afterAll(async () => {
  await cleanupAll();
  await closeProducer();
  await disconnectDb();
});

type Step =
  | { kind: 'request'; who: number; source: number; token: boolean; destructive: boolean }
  | { kind: 'approve' | 'reject' | 'execute' | 'edit'; who: number; req: number; token: boolean; asRequester: boolean }
  | { kind: 'break-glass'; who: number; req: number; token: boolean; longReason: boolean }
  | { kind: 'expire'; req: number }
  | { kind: 'disable' | 'enable' | 'demote' | 'promote'; who: number }
  | { kind: 'sweep' };

const who = fc.nat({ max: START_ROLES.length - 1 });
const req = fc.nat({ max: 20 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('request' as const), who, source: fc.constantFrom(0, 1, 1, 1, 2), token: fc.boolean(), destructive: asRequester(4) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('approve' as const), who, req, token: fc.boolean(), asRequester: asRequester(4) }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('reject' as const), who, req, token: fc.boolean(), asRequester: asRequester(4) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('execute' as const), who, req, token: fc.boolean(), asRequester: asRequester(2) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('edit' as const), who, req, token: fc.boolean(), asRequester: asRequester(2) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('break-glass' as const), who, req, token: fc.boolean(), longReason: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('expire' as const), req }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constantFrom('disable' as const, 'enable' as const, 'demote' as const, 'promote' as const), who }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('sweep' as const) }), weight: 1 },
);

/** The people as the database holds them now: what eligibility is judged by. */
async function peopleNow(): Promise<Map<string, PersonNow>> {
  const rows = await db().user.findMany({ where: { id: { in: people.map((p) => p.id) } }, select: { id: true, role: true, disabled: true } });
  return new Map(rows.map((r) => [r.id, { role: r.role, disabled: r.disabled }]));
}

const actorOf = async (p: Person, token: boolean): Promise<Actor | null> => (token ? tokenOf(p) : sessionOf(p));

/** The outcome of a verb: 'ok', or the DomainError's code (anything else fails the test). */
async function attempt(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (e) {
    if (isDomainError(e)) return e.code;
    if (e instanceof Error && e.name === 'ZodError') return 'VALIDATION';
    throw e;
  }
}

let sequences = 0;
let steps = 0;
/** What the sequences did, for the one line printed at the end (a model that never executes proves nothing). */
const seen = { edits: 0, executed: 0, destructiveExecuted: 0, breakGlass: 0, selfApprovalRefused: 0, expiredRefused: 0, voidedByEdit: 0 };

describe('restore requests, model-based (fast-check, real database)', () => {
  it('keeps every approval invariant over random sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 8, maxLength: 24, size: 'max' }), async (seq) => {
        sequences += 1;
        // Each sequence starts from the same people; requests of earlier sequences are left out of the model.
        await Promise.all(people.map((p, i) => db().user.update({ where: { id: p.id }, data: { role: START_ROLES[i], disabled: false } })));
        const ids: string[] = [];
        const expiredByClock = new Set<string>();
        const neverRun = new Set<string>();
        const before = new Map<string, string>();
        for (const s of seq) {
          steps += 1;
          const nowPeople = await peopleNow();
          const reqId = 'req' in s ? ids[s.req % Math.max(ids.length, 1)] : undefined;
          const requesterOf = async (id: string) => {
            const { requesterId } = await db().restoreRequest.findUniqueOrThrow({ where: { id }, select: { requesterId: true } });
            return people.find((x) => x.id === requesterId)!;
          };
          let outcome = 'skipped';
          switch (s.kind) {
            case 'request': {
              const p = people[s.who]!;
              const actor = await actorOf(p, s.token);
              const src = sources[s.source]!;
              // A quarter of the requests use the engine's destructive mode (over the source's own database, typed to
              // confirm): one approval more, one of them an admin's. Nothing consumes this file's queue, so it never runs.
              const body =
                s.destructive && DESTRUCTIVE
                  ? { recoveryPointId: src.pointId, target: { database: src.sourceDb }, mode: DESTRUCTIVE, confirm: src.sourceDb, reason: 'model-based test' }
                  : { recoveryPointId: src.pointId, target: { database: uniqueName('lbt_model') }, reason: 'model-based test' };
              outcome = await attempt(async () => {
                const dto = await createRestoreRequest({ actor }, body);
                ids.push(dto.id);
              });
              break;
            }
            case 'approve':
            case 'reject': {
              if (!reqId) break;
              const p = s.asRequester ? await requesterOf(reqId) : people[s.who]!;
              const row = await db().restoreRequest.findUniqueOrThrow({ where: { id: reqId } });
              outcome = await attempt(async () => (s.kind === 'approve' ? approveRestoreRequest : rejectRestoreRequest)({ actor: await actorOf(p, s.token) }, reqId, {}));
              // Never self-approval, whichever way the requester comes in.
              if (row.requesterId === p.id) expect(outcome, 'the requester decided on their own request').not.toBe('ok');
              if (outcome === 'SELF_APPROVAL') seen.selfApprovalRefused += 1;
              if (outcome === 'EXPIRED') seen.expiredRefused += 1;
              if (outcome === 'ok') {
                const me = nowPeople.get(p.id)!;
                expect(me.disabled || !['APPROVER', 'ADMIN'].includes(me.role), 'an ineligible person decided').toBe(false);
              }
              if (s.kind === 'reject' && outcome === 'ok') neverRun.add(reqId);
              break;
            }
            case 'execute': {
              if (!reqId) break;
              const p = s.asRequester ? await requesterOf(reqId) : people[s.who]!;
              outcome = await attempt(async () => executeRestoreRequest({ actor: await actorOf(p, s.token) }, reqId));
              break;
            }
            case 'edit': {
              if (!reqId) break;
              const p = s.asRequester ? await requesterOf(reqId) : people[s.who]!;
              outcome = await attempt(async () => updateRestoreRequest({ actor: await actorOf(p, s.token) }, reqId, { target: { database: uniqueName('lbt_model_edit') } }));
              if (outcome === 'ok') {
                const row = await db().restoreRequest.findUniqueOrThrow({ where: { id: reqId }, include: { decisions: true } });
                expect(row.requesterId, 'someone else edited the request').toBe(p.id);
                const counting = countingApprovers(row.decisions, row, nowPeople);
                expect(counting, 'approvals still count after an edit').toEqual([]);
                seen.edits += 1;
                if (row.decisions.some((d) => d.decision === 'APPROVE')) seen.voidedByEdit += 1;
              }
              break;
            }
            case 'break-glass': {
              if (!reqId) break;
              const p = people[s.who]!;
              const reason = s.longReason ? 'the database is gone, nobody answers' : 'urgent';
              outcome = await attempt(async () => breakGlassRestoreRequest({ actor: await actorOf(p, s.token) }, reqId, { reason }));
              if (outcome === 'ok') {
                const me = nowPeople.get(p.id)!;
                expect(me.role === 'ADMIN' && !me.disabled, 'break-glass by a non-admin').toBe(true);
                expect(s.longReason, 'break-glass with a short reason').toBe(true);
              }
              break;
            }
            case 'expire': {
              if (!reqId) break;
              // Time passes for this request: its expiry is now behind us.
              await db().restoreRequest.update({ where: { id: reqId }, data: { expiresAt: new Date(Date.now() - 1_000) } });
              const row = await db().restoreRequest.findUniqueOrThrow({ where: { id: reqId } });
              if (row.status === 'PENDING_APPROVAL' || row.status === 'APPROVED') {
                expiredByClock.add(reqId);
                neverRun.add(reqId);
              }
              outcome = 'ok';
              break;
            }
            case 'sweep':
              await expireRestoreRequests();
              outcome = 'ok';
              break;
            default: {
              const p = people[s.who]!;
              const data =
                s.kind === 'disable' ? { disabled: true } : s.kind === 'enable' ? { disabled: false } : s.kind === 'demote' ? { role: 'VIEWER' as const } : { role: START_ROLES[s.who]! };
              await db().user.update({ where: { id: p.id }, data });
              outcome = 'ok';
            }
          }
          expect(['ok', 'skipped', 'FORBIDDEN', 'UNAUTHENTICATED', 'SELF_APPROVAL', 'EXPIRED', 'ALREADY_DECIDED', 'INVALID_STATE', 'VALIDATION', 'CONFLICT']).toContain(outcome);

          // Invariants over every request of the sequence, after every step.
          const rows = await db().restoreRequest.findMany({ where: { id: { in: ids } }, include: { decisions: true } });
          for (const row of rows) {
            expect(row.decisions.some((d) => d.approverId === row.requesterId), 'an approval by the requester').toBe(false);
            if (row.status === 'EXECUTED') {
              expect(row.runId, 'an executed request without its run').not.toBeNull();
              expect(neverRun.has(row.id), `an ${expiredByClock.has(row.id) ? 'expired' : 'rejected'} request ran`).toBe(false);
              if (before.get(row.id) !== 'EXECUTED') {
                // It became EXECUTED in this step: judge it by the people as they were in this step.
                seen.executed += 1;
                if (row.destructive && !row.breakGlass) seen.destructiveExecuted += 1;
                if (row.breakGlass) {
                  seen.breakGlass += 1;
                  const by = nowPeople.get(row.breakGlassById!);
                  expect(by?.role === 'ADMIN' && !by.disabled, 'break-glass by a non-admin').toBe(true);
                } else {
                  const counting = countingApprovers(row.decisions, row, nowPeople);
                  expect(isSatisfied(row, counting, nowPeople), `executed with ${counting.length} of ${row.requiredApprovals} eligible approvals`).toBe(true);
                }
              }
            } else {
              expect(row.runId, 'a run for a request that did not execute').toBeNull();
            }
            if (row.status === 'REJECTED' || row.status === 'EXPIRED') neverRun.add(row.id);
            before.set(row.id, row.status);
          }
          const executed = rows.filter((r) => r.status === 'EXECUTED').length;
          expect(await db().run.count({ where: { restoreRequest: { id: { in: ids } } } })).toBe(executed);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(
      `approvals model: ${sequences} sequences, ${steps} steps (seed ${SEED}); executed ${seen.executed} (break-glass ${seen.breakGlass}, destructive ${seen.destructiveExecuted}), ` +
        `self-approvals refused ${seen.selfApprovalRefused}, expired refused ${seen.expiredRefused}, edits ${seen.edits} (${seen.voidedByEdit} voiding approvals)`,
    );
    expect(seen.executed - seen.breakGlass, 'no sequence executed through approvals').toBeGreaterThan(0);
  }, 600_000);
});
