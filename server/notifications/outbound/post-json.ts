import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AddressRefused, resolveSafely, type AllowList, type Lookup } from './safe-address';

/** What one POST came to: the status and the start of the answer (for the delivery log), or why it failed. */
export interface PostOutcome {
  ok: boolean;
  /** `HTTP 200 ok` … as the delivery log shows it; null when no answer came. */
  response: string | null;
  error: string | null;
  /** Retrying cannot help: the address was refused, a redirect or a client error (4xx but 408/429) came back. */
  permanent: boolean;
}

// Enough of an answer to see what a receiver said ("invalid_token", an error page's title); the rest is dropped.
const MAX_ANSWER_BYTES = 1_024;

/** `hooks.slack.com` of a URL, for messages: never the path or query, which hold a webhook's secret. */
export function hostOf(url: URL): string {
  return url.port ? `${url.hostname}:${url.port}` : url.hostname;
}

/**
 * POSTs `body` (JSON) to `url` through the SSRF guard: the host is resolved once and checked (resolveSafely), the
 * connection goes to that address (a `lookup` that answers it, so Node never resolves again; TLS still checks the
 * certificate against the name), redirects are not followed (a 3xx is a failed delivery: a redirect is how a public
 * receiver would point the request at an internal address), and the whole exchange has a deadline.
 */
export async function postJson(
  url: URL,
  body: string,
  opts: { headers?: Record<string, string>; allow: AllowList; timeoutMs: number; lookup?: Lookup },
): Promise<PostOutcome> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, response: null, error: `${url.protocol} is not http: or https:`, permanent: true };
  }
  let target;
  try {
    target = await resolveSafely(url.hostname, opts.allow, opts.lookup);
  } catch (e) {
    return { ok: false, response: null, error: (e as Error).message, permanent: e instanceof AddressRefused };
  }
  const pinned: LookupFunction = (_host, options, callback) => {
    // Node asks for every address when it may race IPv4 and IPv6 (autoSelectFamily): it gets the one checked.
    if ((options as { all?: boolean }).all) (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(outcome);
    };
    const req = client.request(
      {
        method: 'POST',
        // A name keeps the Host header and TLS name; the connection itself goes to `target.address` (pinned lookup).
        host: target.servername ?? target.address,
        port: url.port || (url.protocol === 'https:' ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        lookup: pinned,
        // No pooled sockets: each delivery connects to the address it checked.
        agent: false,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Lifeboat-Notifier/1',
          host: url.host,
          ...(url.username || url.password ? { authorization: `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}` } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(c.subarray(0, MAX_ANSWER_BYTES - size));
          size += c.length;
          if (size >= MAX_ANSWER_BYTES) res.destroy();
        });
        const done = () => {
          const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 300);
          const response = `HTTP ${status}${text ? ` ${text}` : ''}`;
          if (status >= 200 && status < 300) return finish({ ok: true, response, error: null, permanent: false });
          if (status >= 300 && status < 400) {
            return finish({ ok: false, response, error: `${hostOf(url)} answered ${status}, a redirect; redirects are not followed`, permanent: true });
          }
          const retryable = status >= 500 || status === 408 || status === 429;
          finish({ ok: false, response, error: `${hostOf(url)} answered ${status}`, permanent: !retryable });
        };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    const deadline = setTimeout(() => {
      req.destroy();
      finish({ ok: false, response: null, error: `${hostOf(url)} did not answer within ${opts.timeoutMs} ms`, permanent: false });
    }, opts.timeoutMs);
    req.on('error', (e) => finish({ ok: false, response: null, error: `${hostOf(url)}: ${e.message}`, permanent: false }));
    req.end(body);
  });
}
