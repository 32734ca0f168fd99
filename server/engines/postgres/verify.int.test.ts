/**
 * The postgres engine's structural check (`pg_restore --list` on stdin) against real pg_dump archives and
 * against bytes that are not one. Needs the client tools on PATH and the test PostgreSQL (DATABASE_URL).
 */
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { connectionParts, createDatabase, dropDatabase, SAMPLE_SCHEMA_SQL, uniqueName } from '@/server/testing/pg';
import { isEngineError } from '../engine';
import { postgresEngine } from './index';

const database = uniqueName('lbt_pgverify');
let archive: Buffer;

beforeAll(async () => {
  await createDatabase(database, SAMPLE_SCHEMA_SQL);
  const pgc = connectionParts();
  const dump = postgresEngine.backup(
    { host: pgc.host, port: pgc.port, database, user: pgc.user },
    pgc.password ? { password: pgc.password } : {},
    { compress: false },
  );
  [archive] = await Promise.all([buffer(dump.stream), dump.done]);
});

afterAll(async () => {
  await dropDatabase(database);
});

const verify = (bytes: Buffer | Readable) => postgresEngine.verify!(bytes instanceof Readable ? bytes : Readable.from([bytes]));

describe('postgres verify (pg_restore --list)', () => {
  it('accepts a real archive, reading every byte and counting its TOC entries', async () => {
    const result = await verify(archive);
    expect(result.bytes).toBe(archive.length);
    expect(result.entries).toBeGreaterThan(0);
    expect(result.summary).toMatch(/TOC entries/);
  });

  it('reads an archive to the end even in small chunks after pg_restore has what it needs', async () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < archive.length; i += 1024) chunks.push(archive.subarray(i, i + 1024));
    const result = await verify(Readable.from(chunks));
    expect(result.bytes).toBe(archive.length);
  });

  it('rejects bytes that are not an archive, with pg_restore\'s reason', async () => {
    const err = await verify(Buffer.from('this is not a pg_dump archive\n'.repeat(10))).catch((e: unknown) => e);
    expect(isEngineError(err, 'TOOL_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/pg_restore --list rejected the archive: .*archive/);
  });

  it('rejects an empty stream and a header cut short', async () => {
    await expect(verify(Buffer.alloc(0))).rejects.toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/too short/) });
    await expect(verify(archive.subarray(0, 40))).rejects.toMatchObject({ code: 'TOOL_FAILED' });
  });

  it('reports the input stream\'s own error, not pg_restore\'s', async () => {
    const failing = new Readable({
      read() {
        this.push(archive.subarray(0, 8));
        this.destroy(new Error('disk went away'));
      },
    });
    await expect(verify(failing)).rejects.toThrow('disk went away');
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(postgresEngine.verify!(Readable.from([archive]), { signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
