/** Test-only: a real source (a PostgreSQL database) in a tiered service, a recovery point row, and people. */
import crypto from 'node:crypto';
import { createApiToken } from '@/server/auth/api-tokens';
import { SYSTEM_ACTOR, type Actor, type Role } from '@/server/auth/permissions';
import { authenticateApiToken } from '@/server/auth/api-tokens';
import { actorForUser } from '@/server/auth/users';
import { createSource } from '@/server/inventory/create-source';
import { db } from '@/server/shared/db';
import { connectionParts, createDatabase, dropDatabase, uniqueName } from '@/server/testing/pg';
import { unusedDestinationPath } from '@/server/testing/paths';

export interface Person {
  id: string;
  email: string;
  role: Role;
  /** A token of the person's own role, owned by them. */
  token: string;
}

export interface Fixture {
  sourceDb: string;
  sourceId: string;
  tierId: string | null;
  pointId: string;
  cleanup: () => Promise<void>;
}

const made = { users: [] as string[], tiers: [] as string[], services: [] as string[], sources: [] as string[], dbs: [] as string[] };

/** A person with a role and their own token (made through the real verbs, as the CLI makes them). */
export async function person(role: Role, label = role.toLowerCase()): Promise<Person> {
  const email = `${uniqueName(label)}@approvals.test`;
  const user = await db().user.create({ data: { email, name: label, role, passwordHash: null } });
  made.users.push(user.id);
  const { token } = await createApiToken({ actor: SYSTEM_ACTOR }, user.id, { name: uniqueName('tok'), role });
  return { id: user.id, email, role, token };
}

/** The actor a signed-in session of this person resolves to now (null: disabled). */
export const sessionOf = (p: { id: string }): Promise<Actor | null> => actorForUser(p.id);
/** The actor this person's token resolves to now (null: owner disabled). */
export const tokenOf = (p: Person): Promise<Actor | null> => authenticateApiToken(p.token);

/**
 * A source backed by a real database (so the engine's target check runs for real) in a service of a new tier asking
 * for `approvals` (null: no service, no tier), with one recovery point row (never restored: nothing consumes the
 * queue).
 */
export async function restorableSource(approvals: number | null): Promise<Fixture> {
  const sourceDb = uniqueName('lbt_appr_src');
  await createDatabase(sourceDb, 'CREATE TABLE t (id int)');
  made.dbs.push(sourceDb);
  const pgc = connectionParts();
  let serviceId: string | null = null;
  let tierId: string | null = null;
  if (approvals !== null) ({ serviceId, tierId } = await tieredService(approvals));
  const source = await createSource({ actor: SYSTEM_ACTOR }, {
    kind: 'postgres',
    name: uniqueName('appr-src'),
    config: { host: pgc.host, port: pgc.port, database: sourceDb, user: pgc.user, ...(pgc.password ? { password: pgc.password } : {}) },
    testConnection: false,
  });
  trackSource(source.id);
  if (serviceId) await db().source.update({ where: { id: source.id }, data: { serviceId } });
  const pointId = await pointRow(source.id, 'postgres', 'data.pgdump', 1234n);
  return { sourceDb, sourceId: source.id, tierId, pointId, cleanup: async () => undefined };
}

/** Registers a source made elsewhere, so `cleanupAll` removes it (with its requests, runs and points). */
export function trackSource(sourceId: string): void {
  made.sources.push(sourceId);
}

/** A service in a new tier asking for `approvals` restore approvals; `cleanupAll` removes both. */
export async function tieredService(approvals: number): Promise<{ serviceId: string; tierId: string }> {
  const tier = await db().tier.create({ data: { name: uniqueName('appr-tier'), rpoSeconds: 3600, rtoSeconds: 3600, restoreApprovals: approvals } });
  made.tiers.push(tier.id);
  const service = await db().service.create({ data: { name: uniqueName('appr-svc'), tierId: tier.id } });
  made.services.push(service.id);
  return { serviceId: service.id, tierId: tier.id };
}

/** One recovery point row of `engine` for the source (its backup run and a local destination with it); its id. */
export async function pointRow(sourceId: string, engine: string, file: string, sizeBytes: bigint): Promise<string> {
  const destination = await db().destination.create({ data: { name: uniqueName('appr-dest'), kind: 'local', config: { path: unusedDestinationPath() } } });
  const run = await db().run.create({ data: { kind: 'BACKUP', status: 'SUCCEEDED', sourceId, destinationId: destination.id } });
  const point = await db().recoveryPoint.create({
    data: {
      sourceId,
      runId: run.id,
      destinationId: destination.id,
      engine,
      location: `sources/${sourceId}/x/${file}`,
      sizeBytes,
      sha256: crypto.createHash('sha256').update('x').digest('hex'),
      manifest: {},
    },
  });
  return point.id;
}

/** Removes what the fixtures made (requests and runs by cascade of their source), best effort. */
export async function cleanupAll(): Promise<void> {
  for (const id of made.sources) {
    await db().restoreRequest.deleteMany({ where: { sourceId: id } });
    await db().run.deleteMany({ where: { sourceId: id, kind: 'RESTORE' } });
    await db().recoveryPoint.deleteMany({ where: { sourceId: id } });
    await db().run.deleteMany({ where: { sourceId: id } });
    await db().source.delete({ where: { id } }).catch(() => undefined);
  }
  await db().service.deleteMany({ where: { id: { in: made.services } } });
  await db().tier.deleteMany({ where: { id: { in: made.tiers } } });
  await db().apiToken.deleteMany({ where: { ownerId: { in: made.users } } });
  await db().restoreApproval.deleteMany({ where: { approverId: { in: made.users } } });
  await db().user.deleteMany({ where: { id: { in: made.users } } }).catch(() => undefined);
  for (const name of made.dbs) await dropDatabase(name);
}
