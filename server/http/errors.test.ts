import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError } from '@/server/shared/errors';
import { errorResponse } from './errors';

async function answer(e: unknown) {
  const res = errorResponse(e);
  return { status: res.status, ...((await res.json()) as { error: { code: string; message: string; details?: { issues?: unknown[] } } }) };
}

/** The shape Prisma 7 throws for a known request error (PrismaClientKnownRequestError), without a database. */
function prismaError(code: string, meta?: Record<string, unknown>) {
  return Object.assign(new Error(`prisma ${code}`), { name: 'PrismaClientKnownRequestError', code, meta, clientVersion: '7' });
}

describe('errorResponse: Prisma known errors, mapped here once', () => {
  it('P2002 unique violation → 409 CONFLICT naming the fields, not the query', async () => {
    const r = await answer(prismaError('P2002', { modelName: 'Policy', target: ['name'] }));
    expect(r).toMatchObject({ status: 409, error: { code: 'CONFLICT' } });
    expect(r.error.message).toBe('a policy with this name already exists');
  });

  it('P2025 record not found → 404 NOT_FOUND', async () => {
    expect(await answer(prismaError('P2025', { modelName: 'RecoveryPoint', cause: 'No record was found for an update.' }))).toMatchObject({
      status: 404,
      error: { code: 'NOT_FOUND', message: 'recovery point not found' },
    });
  });

  it('P2003 foreign key violation → 409 CONFLICT', async () => {
    expect(await answer(prismaError('P2003', { modelName: 'Policy' }))).toMatchObject({ status: 409, error: { code: 'CONFLICT' } });
  });

  it('PostgreSQL data exceptions (class 22: out of range, bad value) → 422 VALIDATION', async () => {
    const e = prismaError('P2039', {
      modelName: 'Run',
      driverAdapterError: { name: 'DriverAdapterError', cause: { originalCode: '22008', kind: 'postgres', code: '22008' } },
    });
    const r = await answer(e);
    expect(r).toMatchObject({ status: 422, error: { code: 'VALIDATION' } });
    expect(r.error.message).not.toMatch(/invocation|findMany|0000/);
    expect(await answer(prismaError('P2020'))).toMatchObject({ status: 422 });
    expect(await answer(prismaError('P2000', { column_name: 'name' }))).toMatchObject({ status: 422 });
  });

  it('other errors stay 500 without their text', async () => {
    const r = await answer(prismaError('P1001'));
    expect(r).toEqual({ status: 500, error: { code: 'INTERNAL', message: 'Internal error; see the server log' } });
    expect((await answer(new Error('secret detail'))).error.message).not.toMatch(/secret/);
  });
});

describe('errorResponse: bounded messages', () => {
  // Found by server/http/hostile-sweep.int.test.ts: a retention object with 5000 unknown keys came back as a
  // 40 000-character "Unrecognized keys: k0, k1, …" message.
  it('cuts a validation answer to a readable size, however many issues or however long each one', async () => {
    const keys = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]));
    const strict = z.strictObject({ a: z.string().optional() }).safeParse(keys);
    const many = z.array(z.string()).safeParse(Array.from({ length: 500 }, () => 1));
    for (const error of [strict.error, many.error]) {
      const r = await answer(error);
      expect(r.status).toBe(422);
      expect(r.error.message.length).toBeLessThanOrEqual(1_000);
      expect(r.error.details!.issues!.length).toBeLessThanOrEqual(20);
      expect(JSON.stringify(r).length).toBeLessThan(10_000);
    }
  });

  it('cuts a domain error message too', async () => {
    const r = await answer(new DomainError('VALIDATION', 'x'.repeat(50_000)));
    expect(r.error.message.length).toBeLessThanOrEqual(1_000);
  });
});
