import crypto from 'node:crypto';
import { z } from 'zod';
import type { Actor } from '@/server/auth/permissions';
import { DomainError } from '@/server/shared/errors';
import { logger } from '@/server/shared/logger';
import { masterKey, openSecret, sealSecret } from '@/server/shared/secrets';
import { HttpError } from './http-error';
import { httpKey, httpRedis, withTimeout } from './http-redis';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Set on an answer that is the stored first answer, not a new execution. */
export const REPLAYED_HEADER = 'idempotent-replayed';

// A day: long enough for any client's retries (a CI job re-run the next morning is a new request anyway), short
// enough that Redis holds a bounded number of answers.
const DONE_TTL_MS = 24 * 60 * 60 * 1000;
// How long a request may hold its key while it runs: every request of this API ends within seconds (a connection
// test or a restore target check times out after 15 s). A web process that dies mid-request frees the key then.
const PENDING_TTL_MS = 5 * 60 * 1000;
// The answers worth replaying are single objects of a few KiB; a larger one is answered but not stored.
const MAX_STORED_CHARS = 1024 * 1024;
const REDIS_TIMEOUT_MS = 2_000;

// 1–255 visible ASCII characters: a uuid, a ULID, a job name with its attempt. Quotes allowed around it (the IETF
// draft's header is a structured-field string: `Idempotency-Key: "8e03978e…"`).
const KEY = /^[\x21-\x7e]{1,255}$/;

// Compare-and-set / compare-and-delete: only the request that wrote the pending record may finish or free it.
const REPLACE_IF = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end return 0`;
const DELETE_IF = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const StoredRecord = z.discriminatedUnion('state', [
  z.object({ state: z.literal('pending'), fingerprint: z.string() }),
  z.object({ state: z.literal('done'), fingerprint: z.string(), status: z.number().int(), contentType: z.string(), body: z.string() }),
]);
type StoredRecord = z.infer<typeof StoredRecord>;

/** JSON text with object keys sorted, so that `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The request as compared with a retry: method, path, query and body (parsed, so whitespace does not count). */
function fingerprintOf(req: Request, body: unknown): string {
  const url = new URL(req.url);
  const query = [...url.searchParams.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return crypto.createHash('sha256').update(canonicalJson([req.method, url.pathname, query, body ?? null])).digest('base64url');
}

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('base64url');

/**
 * Records are sealed (AES-256-GCM) with a key derived from the master key and the client's Idempotency-Key: an
 * answer may hold what is shown once (a new API token, a webhook's signing secret), and Redis must not be where it
 * can be read back. Without the client's key (and the master key) a stored record opens for nobody.
 */
function recordKey(idempotencyKey: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', masterKey(), Buffer.from(idempotencyKey, 'utf8'), 'lifeboat-idempotency-v1', 32));
}

/** The client's key, unquoted; undefined when the request has none; 422 when it is not a usable key. */
export function idempotencyKeyOf(req: Request): string | undefined {
  const raw = req.headers.get(IDEMPOTENCY_HEADER);
  if (raw === null) return undefined;
  const key = raw.trim().replace(/^"(.*)"$/, '$1');
  if (!KEY.test(key)) {
    throw new DomainError('VALIDATION', 'Idempotency-Key must be 1 to 255 visible ASCII characters (a uuid, for example)', {
      issues: [{ path: ['headers', 'idempotency-key'], message: 'must be 1 to 255 visible ASCII characters' }],
    });
  }
  return key;
}

function replay(record: Extract<StoredRecord, { state: 'done' }>): Response {
  return new Response(record.body, { status: record.status, headers: { 'content-type': record.contentType, [REPLAYED_HEADER]: 'true' } });
}

const unavailable = (err: unknown): HttpError => {
  logger.warn({ err }, 'Idempotency-Key not honoured: Redis did not answer');
  return new HttpError(503, 'UNAVAILABLE', 'the Idempotency-Key cannot be checked right now (Redis is unreachable); retry later with the same key', undefined, {
    'retry-after': '5',
  });
};

/**
 * Runs a POST once per Idempotency-Key (per actor and route, for a day). The first request runs `execute`; its
 * answer, when it is a success (2xx) in JSON, is stored and answered again, status and body, to a retry with the
 * same key and the same request, without running anything (`Idempotent-Replayed: true`). A failure is not stored:
 * it changed nothing, so a retry runs again. The same key with another request (method, path, query or body) is
 * 422 `IDEMPOTENCY_KEY_REUSED`; a retry while the first is still running is 409 `IDEMPOTENCY_IN_PROGRESS`. Without
 * the header, or without an actor (the verb answers 401), `execute` just runs.
 */
export async function idempotent(req: Request, actor: Actor | null, body: unknown, execute: () => Promise<Response>): Promise<Response> {
  const idempotencyKey = idempotencyKeyOf(req);
  if (idempotencyKey === undefined || !actor?.id) return execute();
  const redis = httpRedis();
  const key = httpKey('idempotency', actor.type, actor.id, sha(`${req.method} ${new URL(req.url).pathname}`), sha(idempotencyKey));
  const cipherKey = recordKey(idempotencyKey);
  const fingerprint = fingerprintOf(req, body);
  const seal = (record: StoredRecord) => sealSecret(record, key, cipherKey);
  const pending = seal({ state: 'pending', fingerprint });

  // Twice at most: a record that expires between our SET and GET is gone, and the key is free again.
  for (let attempt = 0; attempt < 2; attempt++) {
    let claimed: string | null;
    let existing: string | null = null;
    try {
      claimed = await withTimeout(redis.set(key, pending, 'PX', PENDING_TTL_MS, 'NX'), REDIS_TIMEOUT_MS, 'idempotency');
      if (claimed === null) existing = await withTimeout(redis.get(key), REDIS_TIMEOUT_MS, 'idempotency');
    } catch (err) {
      throw unavailable(err);
    }
    if (claimed !== null) return runAndStore(key, pending, fingerprint, seal, execute);
    if (existing === null) continue;
    let record: StoredRecord;
    try {
      record = StoredRecord.parse(openSecret(existing, key, cipherKey));
    } catch {
      // Sealed under another master key (rotated since): nothing can be replayed from it, so it is treated as the
      // same key used for something else rather than run a second time.
      throw reused();
    }
    if (record.fingerprint !== fingerprint) throw reused();
    if (record.state === 'pending') {
      throw new HttpError(409, 'IDEMPOTENCY_IN_PROGRESS', 'a request with this Idempotency-Key is still running; retry when it has answered', undefined, {
        'retry-after': '1',
      });
    }
    return replay(record);
  }
  throw new HttpError(409, 'IDEMPOTENCY_IN_PROGRESS', 'a request with this Idempotency-Key is still running; retry when it has answered', undefined, {
    'retry-after': '1',
  });
}

const reused = () =>
  new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request (method, path, query or body); use a new key for a new request');

async function runAndStore(
  key: string,
  pending: string,
  fingerprint: string,
  seal: (r: StoredRecord) => string,
  execute: () => Promise<Response>,
): Promise<Response> {
  const release = () =>
    withTimeout(httpRedis().eval(DELETE_IF, 1, key, pending), REDIS_TIMEOUT_MS, 'idempotency').catch((err: unknown) =>
      logger.warn({ err }, 'could not free an Idempotency-Key; it frees itself when its pending record expires'),
    );
  let res: Response;
  try {
    res = await execute();
  } catch (e) {
    await release();
    throw e;
  }
  const contentType = res.headers.get('content-type') ?? '';
  // Only a success in JSON is replayed: a failure changed nothing (the verbs are transactional), and the other
  // answers (the recovery kit's text) are not the kind a retry should get from a store.
  if (res.status < 200 || res.status > 299 || !contentType.startsWith('application/json')) {
    await release();
    return res;
  }
  const text = await res.text();
  const answer = new Response(text, { status: res.status, headers: res.headers });
  if (text.length > MAX_STORED_CHARS) {
    logger.warn({ chars: text.length }, 'answer too large to store for its Idempotency-Key; a retry would run again');
    await release();
    return answer;
  }
  const done = seal({ state: 'done', fingerprint, status: answer.status, contentType, body: text });
  try {
    await withTimeout(httpRedis().eval(REPLACE_IF, 1, key, pending, done, String(DONE_TTL_MS)), REDIS_TIMEOUT_MS, 'idempotency');
  } catch (err) {
    // The work is done and answered; only a retry's replay is lost (it would run again once the pending record expires).
    logger.warn({ err }, 'could not store the answer of an Idempotency-Key');
  }
  return answer;
}
