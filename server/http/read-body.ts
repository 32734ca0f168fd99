import { DomainError } from '@/server/shared/errors';
import { assertCleanInput } from '@/server/shared/text';

// 1 MiB: the largest body this API takes (a policy with ten copies and their retention rules) is a few KiB, so
// anything near a megabyte is a mistake or an attack, and buffering that much per request costs nothing.
export const MAX_BODY_BYTES = 1024 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads a request body as JSON for the route wrapper: empty → `{}`; over `limit` bytes → 413, counted while
 * streaming (Content-Length is checked first but not trusted: chunked bodies have none, and it can lie); a non-empty
 * body that is not `application/json` → 415; malformed JSON → 400; control characters in any string or key → 422
 * naming the field (`body.config.path`).
 */
export async function readJsonBody(req: Request, limit = MAX_BODY_BYTES): Promise<unknown> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  const bytes = await readLimited(req, limit);
  if (bytes.length === 0) return {};
  const type = req.headers.get('content-type') ?? '';
  if (!JSON_TYPE.test(type)) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'request body must be JSON (Content-Type: application/json)');
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new DomainError('BAD_REQUEST', 'request body is not valid JSON');
  }
  assertCleanInput(value, 'body');
  return value;
}

async function readLimited(req: Request, limit: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      // Stop reading: the rest of the body is never buffered.
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

const tooLarge = (limit: number) =>
  new DomainError('PAYLOAD_TOO_LARGE', `request body is larger than ${Math.round(limit / 1024)} KiB`);
