/** Test-only: a local webhook receiver that checks Lifeboat's signature, and a local SMTP sink (smtp-server). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { verifySignature } from '../signature';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown> | null;
  /** The signature check's refusal, or null when it verified (always null without a secret to check against). */
  signature: string | null;
}

export interface HttpReceiver {
  url: string;
  port: number;
  received: Received[];
  /** The secret to verify `X-Lifeboat-Signature` with (the channel's, shown once at creation). */
  secret: string | null;
  close: () => Promise<void>;
}

/** Starts an HTTP server on 127.0.0.1 (a free port) answering each request with `respond(n)` (n = 1, 2 …). */
export async function startHttpReceiver(respond: (n: number, req: Received) => { status: number; headers?: Record<string, string>; body?: string } = () => ({ status: 200 })): Promise<HttpReceiver> {
  const received: Received[] = [];
  const receiver: HttpReceiver = { url: '', port: 0, received, secret: null, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = null;
      }
      const header = req.headers['x-lifeboat-signature'];
      const entry: Received = {
        path: req.url ?? '/',
        headers: req.headers,
        body,
        json,
        signature: receiver.secret ? verifySignature(receiver.secret, body, Array.isArray(header) ? header[0] : header) : null,
      };
      received.push(entry);
      const answer = respond(received.length, entry);
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...(answer.headers ?? {}) });
      res.end(answer.body ?? (answer.status < 300 ? 'ok' : 'no'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.port = (server.address() as AddressInfo).port;
  receiver.url = `http://127.0.0.1:${receiver.port}/hook`;
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  /** The body as text (quoted-printable decoded). */
  text: string;
  user: string | null;
}

/** RFC 2047 encoded words (`=?UTF-8?Q?…?=`, `=?UTF-8?B?…?=`) as the text they stand for. */
function decodeWords(header: string): string {
  return header
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_h, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
    );
}

export interface SmtpSink {
  port: number;
  mails: Mail[];
  close: () => Promise<void>;
}

/**
 * An SMTP server on 127.0.0.1 that keeps every message. It offers no STARTTLS (channels that talk to it set
 * `requireTls: false`) and accepts `user`/`password` when given (any other pair is refused), else no login at all.
 */
export async function startSmtpSink(opts: { user?: string; password?: string } = {}): Promise<SmtpSink> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: opts.user === undefined,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === opts.user && auth.password === opts.password) return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const subject = decodeWords(/^Subject: (.*(?:\r?\n[ \t].*)*)/im.exec(raw)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '');
        const split = raw.indexOf('\r\n\r\n');
        const head = split >= 0 ? raw.slice(0, split) : raw;
        const body = split >= 0 ? raw.slice(split + 4) : '';
        const text = /content-transfer-encoding:\s*quoted-printable/i.test(head)
          ? Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_h, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8')
          : body;
        mails.push({
          text,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject,
          user: typeof session.user === 'string' ? session.user : null,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
