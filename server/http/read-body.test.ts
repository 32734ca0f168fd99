import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { DomainError } from '@/server/shared/errors';
import { readJsonBody } from './read-body';

const post = (body: BodyInit | null, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  new Request('http://x/api/v1/policies', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

/** A body streamed in chunks, without Content-Length (as a chunked upload arrives). */
function chunked(chunk: string, times: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(chunk);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent++ < times) controller.enqueue(bytes);
      else controller.close();
    },
  });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DomainError) return e.code;
    if (e instanceof ZodError) return `VALIDATION ${e.issues.map((i) => i.path.join('.')).join(',')}`;
    throw e;
  }
  return 'ok';
}

describe('readJsonBody', () => {
  it('parses JSON, and an empty body is {}', async () => {
    expect(await readJsonBody(post('{"name":"a"}'))).toEqual({ name: 'a' });
    expect(await readJsonBody(post('{"a":1}', { 'content-type': 'application/merge-patch+json; charset=utf-8' }))).toEqual({ a: 1 });
    expect(await readJsonBody(post(null, {}))).toEqual({});
  });

  it('refuses a body over the limit by Content-Length and while streaming', async () => {
    expect(await codeOf(readJsonBody(post('x'.repeat(2000)), 1000))).toBe('PAYLOAD_TOO_LARGE');
    const stream = post(chunked('x'.repeat(1024), 4096));
    expect(stream.headers.get('content-length')).toBeNull();
    expect(await codeOf(readJsonBody(stream))).toBe('PAYLOAD_TOO_LARGE');
    // A Content-Length that lies low does not get past the count either.
    expect(await codeOf(readJsonBody(post(chunked('x', 50), { 'content-type': 'application/json', 'content-length': '5' }), 10))).toBe(
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('refuses a non-empty body that is not JSON with 415, malformed JSON with 400', async () => {
    expect(await codeOf(readJsonBody(post('{"a":1}', { 'content-type': 'text/plain' })))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await codeOf(readJsonBody(post('{"a":1}', {})))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await codeOf(readJsonBody(post('{"a":')))).toBe('BAD_REQUEST');
  });

  it('refuses control characters anywhere in the body, naming the field', async () => {
    expect(await codeOf(readJsonBody(post(JSON.stringify({ config: { path: '/x\u0000' } }))))).toBe('VALIDATION body.config.path');
  });
});
