import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Gives s3rver (which ignores S3's additional checksums) the one behaviour of AWS S3 that `verify: 'auto'` relies
 * on, for tests: a part or object sent with `x-amz-checksum-sha256` is hashed as it arrives; a mismatch is
 * refused with 400 BadDigest (as S3 does, before storing anything), a match is forwarded and answered with the
 * checksum echoed, and CompleteMultipartUpload answers with the COMPOSITE checksum (`<base64>-<parts>`) of the
 * parts it verified. Everything else passes through unchanged (the Host header too, so signatures verify).
 *
 * `lie` makes it echo a wrong checksum instead, to show the driver does not take an echo on faith.
 */
export interface ChecksumProxy {
  url: string;
  /** Requests seen, `METHOD url`. */
  readonly log: readonly string[];
  lie: boolean;
  close(): Promise<void>;
}

export async function startChecksumProxy(target: string): Promise<ChecksumProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const log: string[] = [];
  // uploadId → part number → raw sha256 the proxy itself computed (S3 keeps these with the parts).
  const verified = new Map<string, Map<number, Buffer>>();
  const state = { lie: false };

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    log.push(`${method} ${url}`);
    const query = new URL(url, 'http://x').searchParams;
    const uploadId = query.get('uploadId');
    const claimed = req.headers['x-amz-checksum-sha256'];
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let echo: string | undefined;
      let composite: string | undefined;
      if (typeof claimed === 'string' && method === 'PUT') {
        const digest = createHash('sha256').update(body).digest();
        if (digest.toString('base64') !== claimed) {
          const xml = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadDigest</Code><Message>checksum mismatch</Message></Error>';
          res.writeHead(400, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
          res.end(xml);
          return;
        }
        const part = Number(query.get('partNumber') ?? 0);
        if (uploadId !== null && part > 0) {
          if (!verified.has(uploadId)) verified.set(uploadId, new Map());
          verified.get(uploadId)!.set(part, digest);
        }
        echo = state.lie ? createHash('sha256').update('lie').digest('base64') : claimed;
      }
      if (method === 'POST' && uploadId !== null && verified.has(uploadId)) {
        const parts = [...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
        const digests = parts.map((n) => verified.get(uploadId)!.get(n) ?? Buffer.alloc(32));
        composite = `${createHash('sha256').update(Buffer.concat(digests)).digest('base64')}-${parts.length}`;
      }
      const headers = { ...req.headers };
      delete headers.expect;
      const forward = http.request(
        { protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method, path: url, headers, agent },
        (answer) => {
          const out: Buffer[] = [];
          answer.on('data', (c: Buffer) => out.push(c));
          answer.on('end', () => {
            let payload = Buffer.concat(out);
            const answerHeaders = { ...answer.headers };
            if (echo !== undefined && (answer.statusCode ?? 500) < 300) answerHeaders['x-amz-checksum-sha256'] = echo;
            if (composite !== undefined && (answer.statusCode ?? 500) < 300) {
              const xml = payload.toString('utf8').replace('</CompleteMultipartUploadResult>', `<ChecksumSHA256>${composite}</ChecksumSHA256></CompleteMultipartUploadResult>`);
              payload = Buffer.from(xml);
              // Only a body this proxy rewrote gets a new length (a HEAD's Content-Length is the object's size).
              delete answerHeaders['transfer-encoding'];
              answerHeaders['content-length'] = String(payload.length);
            }
            res.writeHead(answer.statusCode ?? 502, answerHeaders);
            res.end(payload);
          });
          answer.on('error', () => res.destroy());
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    get lie() {
      return state.lie;
    },
    set lie(value: boolean) {
      state.lie = value;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
