import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '@/server/auth/permissions';
import { errorResponse } from '@/server/http/errors';
import { db, disconnectDb } from '@/server/shared/db';
import { env } from '@/server/shared/env';
import { uniqueName } from '@/server/testing/pg';
import { createDestination } from './create-destination';

// Defect 8 of issue 7: an operator could point destinations at `/`, `/etc`, `…/../../root/.ssh`, an S3 endpoint
// `file:///etc/passwd` and a bucket `../../x`. Only admins may create destinations now, and the settings are checked.

const operator: Actor = { type: 'system', id: null, label: 'destination test operator', role: 'OPERATOR' };
const admin: Actor = { type: 'system', id: null, label: 'destination test admin', role: 'ADMIN' };

let tmp: string;
const createdIds: string[] = [];

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-destination-test-'));
});

afterAll(async () => {
  // Audit events stay: the chain is append-only, and other files verify it.
  await db().destination.deleteMany({ where: { id: { in: createdIds } } });
  await disconnectDb();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** What the API would answer for a refused call: the status and the error body. */
async function refusal(call: Promise<unknown>) {
  let error: unknown;
  try {
    await call;
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error('expected the call to be refused');
  const response = errorResponse(error);
  const body = (await response.json()) as { error: { code: string; message: string; details?: { issues?: Array<{ path: string[] }> } } };
  return { status: response.status, ...body.error, fields: (body.error.details?.issues ?? []).map((i) => i.path.join('.')) };
}

const local = (p: string) => ({ name: uniqueName('dest'), kind: 'local', config: { path: p } });
const s3 = (config: Record<string, unknown>) => ({
  name: uniqueName('dest'),
  kind: 's3',
  config: { endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', bucket: 'lifeboat-test', forcePathStyle: true, ...config },
});

async function created(raw: unknown) {
  const dto = await createDestination({ actor: admin }, raw);
  createdIds.push(dto.id);
  return dto;
}

describe('createDestination: who may', () => {
  it('refuses an operator (403): destinations are an admin duty', async () => {
    const r = await refusal(createDestination({ actor: operator }, local(tmp)));
    expect(r).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });

  it('refuses a viewer and an approver as well', async () => {
    for (const role of ['VIEWER', 'APPROVER'] as const) {
      const r = await refusal(createDestination({ actor: { ...operator, role } }, local(tmp)));
      expect(r.status).toBe(403);
    }
  });
});

describe('createDestination: local paths', () => {
  const refusedPaths = () => [
    '/',
    '/etc',
    '/etc/lifeboat',
    '/usr/local/backups',
    '/proc/self',
    // The report's own: a `..` path that resolves to /root/.ssh.
    `${tmp}/../../root/.ssh`,
    '/var/lib',
    '/var',
    '/home/alice/.ssh',
    'relative/backups',
    path.resolve(env().LIFEBOAT_DATA_DIR),
    path.join(path.resolve(env().LIFEBOAT_DATA_DIR), 'pg'),
    path.join(path.resolve(env().LIFEBOAT_DATA_DIR), 'backups-elsewhere'),
    path.join(path.resolve(env().LIFEBOAT_DATA_DIR), 'backups', '..', 'master.key'),
  ];

  it('refuses system directories, relative paths and Lifeboat’s own data directory with 422 naming config.path', async () => {
    for (const p of refusedPaths()) {
      const r = await refusal(createDestination({ actor: admin }, local(p)));
      expect({ p, status: r.status, code: r.code, fields: r.fields }).toEqual({ p, status: 422, code: 'VALIDATION', fields: ['config.path'] });
      expect(r.message).toMatch(/config\.path/);
    }
  });

  it('refuses a path that reaches a system directory through a symbolic link', async () => {
    const link = path.join(tmp, 'to-etc');
    fs.symlinkSync('/etc', link);
    const r = await refusal(createDestination({ actor: admin }, local(path.join(link, 'lifeboat'))));
    expect(r).toMatchObject({ status: 422, code: 'VALIDATION', fields: ['config.path'] });
  });

  it('accepts a temporary directory and the default backups folder, and stores the path normalised', async () => {
    const inTmp = await created(local(`${tmp}/a/../b/`));
    expect(inTmp.config).toEqual({ path: path.join(tmp, 'b') });
    const backups = path.join(path.resolve(env().LIFEBOAT_DATA_DIR), 'backups', 'x');
    const inBackups = await created(local(backups));
    expect(inBackups.config).toEqual({ path: backups });
    const audit = await db().auditEvent.findFirst({ where: { action: 'destination.create', targetId: inTmp.id } });
    expect(audit?.details).toMatchObject({ kind: 'local', config: { path: path.join(tmp, 'b') } });
  });
});

describe('createDestination: S3 settings', () => {
  const refused: Array<[Record<string, unknown>, string]> = [
    [{ endpoint: 'file:///etc/passwd' }, 'config.endpoint'],
    [{ endpoint: 'ftp://127.0.0.1:9000' }, 'config.endpoint'],
    [{ endpoint: 'http://key:secret@127.0.0.1:9000' }, 'config.endpoint'],
    [{ endpoint: 'http://127.0.0.1:9000/?x-id=1' }, 'config.endpoint'],
    [{ endpoint: 'http://127.0.0.1:9000/#frag' }, 'config.endpoint'],
    [{ bucket: '../../x' }, 'config.bucket'],
    [{ bucket: 'Upper-Case' }, 'config.bucket'],
    [{ bucket: '192.168.1.10' }, 'config.bucket'],
    [{ prefix: '../other-tenant' }, 'config.prefix'],
    [{ prefix: 'a/../../b' }, 'config.prefix'],
    [{ prefix: '/absolute' }, 'config.prefix'],
  ];

  it('refuses non-http(s) endpoints, bad bucket names and escaping prefixes with 422 naming the field', async () => {
    for (const [config, field] of refused) {
      const r = await refusal(createDestination({ actor: admin }, s3(config)));
      expect({ config, status: r.status, code: r.code, fields: r.fields }).toEqual({ config, status: 422, code: 'VALIDATION', fields: [field] });
    }
  });

  it('accepts an http endpoint on a loopback address with a valid bucket and prefix', async () => {
    const dto = await created(s3({ prefix: 'lifeboat/prod' }));
    expect(dto).toMatchObject({ kind: 's3', config: { endpoint: 'http://127.0.0.1:9000', bucket: 'lifeboat-test', prefix: 'lifeboat/prod' } });
    const https = await created(s3({ endpoint: 'https://s3.eu-west-3.amazonaws.com', bucket: 'my.backups-2024' }));
    expect(https.kind).toBe('s3');
    const aws = await created(s3({ endpoint: undefined }));
    expect(aws.kind).toBe('s3');
  });

  it('refuses an unknown kind with 422 naming kind', async () => {
    const r = await refusal(createDestination({ actor: admin }, { name: uniqueName('dest'), kind: 'ftp', config: {} }));
    expect(r).toMatchObject({ status: 422, code: 'VALIDATION', fields: ['kind'] });
  });
});
