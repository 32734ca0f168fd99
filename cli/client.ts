import type { z } from 'zod';
import type { Connection } from './config';
import { apiError, CliError, EXIT } from './errors';

// One API call: a restore request checks its target on the source's server (up to 15 s) inside a 30 s transaction;
// twice that bounds a call without cutting off a slow but working one.
const REQUEST_TIMEOUT_MS = 60_000;

export interface ClientOptions {
  /** Defaults to Node's global fetch; tests pass their own only to count calls, never to fake the API. */
  fetch?: typeof fetch;
  userAgent?: string;
  timeoutMs?: number;
  /** Ctrl-C: every call in flight stops (exit 130). */
  signal?: AbortSignal;
}

type Query = Record<string, string | number | boolean | undefined>;

/** What went wrong below HTTP, in words (undici puts the system error in `cause`). */
function networkWords(e: unknown): string {
  if (e instanceof DOMException && (e.name === 'TimeoutError' || e.name === 'AbortError')) return e.name === 'TimeoutError' ? 'no answer in time' : 'aborted';
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? '';
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'unknown host',
    EAI_AGAIN: 'host name lookup failed',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    UND_ERR_SOCKET: 'connection closed',
  };
  if (words[code]) return `${words[code]} (${code})`;
  if (/CERT|SSL|TLS|UNABLE_TO_VERIFY/.test(code)) return `TLS: ${cause?.message ?? code}`;
  return cause?.message ?? (e instanceof Error ? e.message : String(e));
}

/**
 * The REST API v1 over Node's fetch, as one token. Every answer is JSON (`{ error: { code, message } }` on failure,
 * docs/API.md "Errors"); an error answer becomes a CliError with the exit code its status calls for, and an answer
 * that is not JSON (a proxy's page, another server) says the URL is probably wrong. Messages name the method, path
 * and server, never the token.
 */
export class ApiClient {
  private readonly fetchFn: typeof fetch;

  constructor(
    readonly connection: Connection,
    private readonly opts: ClientOptions = {},
  ) {
    this.fetchFn = opts.fetch ?? fetch;
  }

  get server(): string {
    return this.connection.server;
  }

  async get<S extends z.ZodType>(path: string, schema: S, query?: Query, signal?: AbortSignal): Promise<z.infer<S>> {
    return this.request('GET', path, schema, { query, signal });
  }

  async post<S extends z.ZodType>(path: string, schema: S, body?: unknown, signal?: AbortSignal): Promise<z.infer<S>> {
    return this.request('POST', path, schema, { body: body ?? {}, signal });
  }

  async request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    { body, query, signal }: { body?: unknown; query?: Query; signal?: AbortSignal } = {},
  ): Promise<z.infer<S>> {
    const url = new URL(`${this.connection.apiBase}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const what = `${method} ${url.pathname}${url.search}`;
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? REQUEST_TIMEOUT_MS);
    const signals = [timeout, ...(signal ? [signal] : []), ...(this.opts.signal ? [this.opts.signal] : [])];
    const stopped = () => signal?.aborted || this.opts.signal?.aborted;
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers: {
          authorization: `Bearer ${this.connection.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.opts.userAgent ? { 'user-agent': this.opts.userAgent } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // A redirect would be followed without the token (fetch drops it across origins) and end in a puzzling 401.
        redirect: 'manual',
        signal: AbortSignal.any(signals),
      });
    } catch (e) {
      if (stopped()) throw new CliError(`stopped (${what})`, EXIT.INTERRUPTED, 'INTERRUPTED');
      throw new CliError(`cannot reach ${this.server} (${what}): ${networkWords(e)}`, EXIT.NETWORK, 'NETWORK');
    }
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      throw new CliError(
        `${this.server} redirected ${what} (HTTP ${res.status}${location ? ` to ${location.split('?')[0]}` : ''}): set LIFEBOAT_URL to the address the server answers on`,
        EXIT.NETWORK,
        'REDIRECT',
        res.status,
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      if (stopped()) throw new CliError(`stopped (${what})`, EXIT.INTERRUPTED, 'INTERRUPTED');
      throw new CliError(`${this.server} broke off its answer to ${what}: ${networkWords(e)}`, EXIT.NETWORK, 'NETWORK');
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      const type = res.headers.get('content-type')?.split(';')[0] || 'no content type';
      throw new CliError(
        `${this.server} answered ${what} with HTTP ${res.status} (${type}), not the Lifeboat API: check LIFEBOAT_URL`,
        EXIT.NETWORK,
        'NOT_LIFEBOAT',
        res.status,
      );
    }
    if (!res.ok) {
      const err = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      const code = typeof err?.code === 'string' ? err.code : `HTTP_${res.status}`;
      const message = typeof err?.message === 'string' ? err.message : `${what} failed`;
      throw apiError(res.status, code, message);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliError(
        `the answer to ${what} is not what this CLI understands (${issue ? `${issue.path.join('.') || 'answer'}: ${issue.message}` : 'unexpected shape'}); is the server a different Lifeboat version?`,
        EXIT.FAILED,
        'UNEXPECTED_ANSWER',
      );
    }
    return parsed.data;
  }
}
