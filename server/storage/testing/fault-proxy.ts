import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';

/**
 * A small HTTP proxy for fault injection in front of an S3 endpoint (s3rver in tests): it forwards requests
 * unchanged (the Host header too, so SigV4 signatures still verify) unless a queued fault matches, in which
 * case it answers 500/503 itself, holds the request without ever answering, or forwards it with one body byte
 * flipped (same length: only a content check can notice).
 *
 * Faults always drain the request body first, so the client sees the failure as a server answer (or a
 * timeout), not as a write error halfway through a part.
 */
export interface FaultProxy {
  /** Base URL to use as the S3 endpoint. */
  url: string;
  /**
   * The next `count` matching requests get `status` (500 InternalError, 503 SlowDown, 501 NotImplemented,
   * 400 InvalidRequest) instead of the backend.
   */
  failNext(count: number, status: 400 | 500 | 501 | 503, match?: RequestMatcher): void;
  /** The next `count` matching requests are read but never answered (the client's timeout must fire). */
  stallNext(count: number, match?: RequestMatcher): void;
  /** The next `count` matching requests are forwarded with the first body byte inverted. */
  corruptNext(count: number, match?: RequestMatcher): void;
  /** Every request seen, in order, with what the proxy did with it. */
  readonly log: readonly ProxiedRequest[];
  /** Drops queued faults and the log. */
  reset(): void;
  close(): Promise<void>;
}

export interface ProxiedRequest {
  method: string;
  url: string;
  outcome: 'forwarded' | 'failed' | 'stalled' | 'corrupted';
  /** Request headers as received (lower-case names). */
  headers: http.IncomingHttpHeaders;
  /** The first BODY_CAPTURE_BYTES of the request body, as UTF-8 (filled in while the body streams through). */
  body: string;
}

// Enough for any control request (XML configs, retention, completes) without holding uploaded parts in memory.
const BODY_CAPTURE_BYTES = 64 * 1024;

export type RequestMatcher = (request: { method: string; url: string }) => boolean;

/** S3 UploadPart: `PUT /bucket/key?partNumber=N&uploadId=…`. */
export const isUploadPart: RequestMatcher = ({ method, url }) =>
  method === 'PUT' && /[?&]uploadId=/.test(url) && /[?&]partNumber=/.test(url);

/** Any request whose path is under `/bucket/key` for this key (objects, parts, completes), not bucket-level calls. */
export const forKey =
  (bucket: string, key: string): RequestMatcher =>
  ({ url }) =>
    url.split('?')[0] === `/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

interface Fault {
  kind: 'status' | 'stall' | 'corrupt';
  status?: number;
  remaining: number;
  match: RequestMatcher;
}

const ERROR_CODES: Record<number, string> = { 400: 'InvalidRequest', 500: 'InternalError', 501: 'NotImplemented', 503: 'SlowDown' };

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  // Keep-alive to the backend, like a real load balancer; the client side is whatever the SDK does.
  const agent = new http.Agent({ keepAlive: true });
  const faults: Fault[] = [];
  const log: ProxiedRequest[] = [];
  const stalled = new Set<http.ServerResponse>();

  function takeFault(method: string, url: string): Fault | undefined {
    const fault = faults.find((f) => f.remaining > 0 && f.match({ method, url }));
    if (fault !== undefined) fault.remaining -= 1;
    return fault;
  }

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const fault = takeFault(method, url);
    const entry = (outcome: ProxiedRequest['outcome']): ProxiedRequest => {
      const logged: ProxiedRequest = { method, url, outcome, headers: { ...req.headers }, body: '' };
      let captured = 0;
      req.on('data', (chunk: Buffer) => {
        if (captured >= BODY_CAPTURE_BYTES) return;
        const part = chunk.subarray(0, BODY_CAPTURE_BYTES - captured);
        captured += part.length;
        logged.body += part.toString('utf8');
      });
      return logged;
    };

    if (fault?.kind === 'status') {
      log.push(entry('failed'));
      const status = fault.status ?? 500;
      const code = ERROR_CODES[status] ?? 'InternalError';
      req.resume();
      req.on('end', () => {
        const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by fault proxy</Message></Error>`;
        res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
      return;
    }
    if (fault?.kind === 'stall') {
      log.push(entry('stalled'));
      stalled.add(res);
      res.on('close', () => stalled.delete(res));
      req.resume();
      return;
    }

    log.push(entry(fault?.kind === 'corrupt' ? 'corrupted' : 'forwarded'));
    const headers = { ...req.headers };
    // The proxy already answered "100 Continue" to the client; the backend gets the body straight away.
    delete headers.expect;
    const forward = http.request(
      { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method, path: url, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    forward.on('error', () => res.destroy());
    req.on('error', () => forward.destroy());
    res.on('close', () => {
      if (!res.writableFinished) forward.destroy();
    });
    if (fault?.kind === 'corrupt') req.pipe(flipFirstByte()).pipe(forward);
    else req.pipe(forward);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const queue = (kind: Fault['kind'], count: number, status: number | undefined, match: RequestMatcher | undefined) => {
    faults.push({ kind, status, remaining: count, match: match ?? (() => true) });
  };

  return {
    url: `http://127.0.0.1:${port}`,
    failNext: (count, status, match) => queue('status', count, status, match),
    stallNext: (count, match) => queue('stall', count, undefined, match),
    corruptNext: (count, match) => queue('corrupt', count, undefined, match),
    log,
    reset() {
      faults.length = 0;
      log.length = 0;
    },
    async close() {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

function flipFirstByte(): Transform {
  let done = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (!done && chunk.length > 0) {
        done = true;
        const copy = Buffer.from(chunk);
        copy[0] = (copy[0] ?? 0) ^ 0xff;
        callback(null, copy);
        return;
      }
      callback(null, chunk);
    },
  });
}
