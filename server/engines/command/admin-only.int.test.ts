/**
 * Capture command sources run a program of their creator's choosing on every worker: only an admin may create or
 * edit one (the engine's `creatorRole`, enforced by the generic inventory verbs), and its `secretEnv` is sealed like
 * any secret (never in the stored config or the audit trail). Against the real catalog database.
 */
import { afterAll, describe, expect, it } from 'vitest';

import type { Actor } from '@/server/auth/permissions';
import { errorResponse } from '@/server/http/errors';
import { createSource } from '@/server/inventory/create-source';
import { updateSource } from '@/server/inventory/update-source';
import { db, disconnectDb } from '@/server/shared/db';
import { openSecret } from '@/server/shared/secrets';
import { uniqueName } from '@/server/testing/pg';

const operator: Actor = { type: 'system', id: null, label: 'command test operator', role: 'OPERATOR' };
const admin: Actor = { type: 'system', id: null, label: 'command test admin', role: 'ADMIN' };
const SECRET = 'cmd-test-token-9d2f1b7e';
const sourceIds: string[] = [];

afterAll(async () => {
  await db().source.deleteMany({ where: { id: { in: sourceIds } } });
  await disconnectDb();
});

async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error('expected the call to be refused');
  const response = errorResponse(error);
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, code: body.error.code, message: body.error.message };
}

const commandInput = () => ({
  kind: 'command',
  name: uniqueName('cmd'),
  config: { argv: '["/usr/bin/printf","%s","ok"]', env: '{"PLAIN":"visible"}', secretEnv: `{"API_TOKEN":"${SECRET}"}`, timeoutSeconds: '120' },
});

describe('capture command sources are admin-only', () => {
  it('refuses an operator creating one with 403 FORBIDDEN, a readable reason, and nothing stored', async () => {
    const input = commandInput();
    expect(await refusal(createSource({ actor: operator }, input))).toEqual({
      status: 403,
      code: 'FORBIDDEN',
      message: "Only an admin may create Capture command sources: they run a program of their creator's choosing on the workers",
    });
    expect(await db().source.count({ where: { name: input.name } })).toBe(0);
  });

  it('lets an admin create one (probed, not run): argv stored as a list, secretEnv sealed, never in the audit trail', async () => {
    const input = commandInput();
    const created = await createSource({ actor: admin }, input);
    sourceIds.push(created.id);
    expect(created).toMatchObject({ name: input.name, kind: 'command' });
    const row = await db().source.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.config).toEqual({ argv: ['/usr/bin/printf', '%s', 'ok'], env: { PLAIN: 'visible' }, timeoutSeconds: 120, output: 'stdout' });
    expect(row.secrets).not.toBeNull();
    expect(row.secrets).not.toContain(SECRET);
    expect(openSecret(row.secrets!, `source:${created.id}`)).toEqual({ secretEnv: { API_TOKEN: SECRET } });
    const audit = await db().auditEvent.findMany({ where: { targetId: created.id } });
    expect(audit.map((a) => a.action)).toEqual(['source.create']);
    expect(JSON.stringify(audit.map((a) => a.details))).not.toContain(SECRET);
    expect(audit[0]?.details).toMatchObject({ kind: 'command', secretKeys: ['secretEnv'] });
  });

  it('refuses an operator editing one, while an admin may; other kinds stay the operators\'', async () => {
    const created = await createSource({ actor: admin }, commandInput());
    sourceIds.push(created.id);
    expect(await refusal(updateSource({ actor: operator }, created.id, { name: uniqueName('renamed') }))).toEqual({
      status: 403,
      code: 'FORBIDDEN',
      message: "Only an admin may edit Capture command sources: they run a program of their creator's choosing on the workers",
    });
    const renamed = uniqueName('renamed');
    expect(await updateSource({ actor: admin }, created.id, { name: renamed })).toMatchObject({ name: renamed });

    const postgres = await createSource({ actor: operator }, { kind: 'postgres', name: uniqueName('pg'), config: { host: '127.0.0.1', database: 'x', user: 'y' }, testConnection: false });
    sourceIds.push(postgres.id);
    const pgRenamed = uniqueName('pg-renamed');
    expect(await updateSource({ actor: operator }, postgres.id, { name: pgRenamed })).toMatchObject({ name: pgRenamed });
  });
});
