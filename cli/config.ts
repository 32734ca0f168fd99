import { CliError, EXIT, usageError } from './errors';

/** The environment the CLI reads (LIFEBOAT_URL, LIFEBOAT_TOKEN); `process.env` or a test's own. */
export type CliEnv = Readonly<Record<string, string | undefined>>;

/** Where the CLI talks to and as whom: from `--url`/`--token`, else `LIFEBOAT_URL`/`LIFEBOAT_TOKEN`. */
export interface Connection {
  /** The API's base, e.g. `https://lifeboat.example.com/api/v1` (no trailing slash). */
  apiBase: string;
  /** The server as people name it, for messages: origin plus any path prefix, never credentials. */
  server: string;
  token: string;
}

/**
 * The server's URL as given (`https://lifeboat.example.com`, a path prefix behind a proxy such as
 * `https://ops.example.com/lifeboat`, or with `/api/v1` already on it) → the API base. Refused: anything but http(s),
 * credentials in the URL (they would end up in messages and shell history), a query or a fragment.
 */
export function parseServerUrl(raw: string, from: string): { apiBase: string; server: string } {
  const value = raw.trim();
  if (!value) throw usageError(`${from} is empty: give the Lifeboat server's URL, e.g. https://lifeboat.example.com`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(`${from} is not a URL: give the Lifeboat server's URL, e.g. https://lifeboat.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`${from} must be an http:// or https:// URL, not ${url.protocol}`);
  if (url.username || url.password) throw usageError(`${from} must not carry credentials: give the token with LIFEBOAT_TOKEN`);
  if (url.search || url.hash) throw usageError(`${from} must not have a query or fragment`);
  const path = url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  const server = `${url.origin}${path}`;
  return { apiBase: `${server}/api/v1`, server };
}

/**
 * The token as given. Checked only for what would break the header (whitespace, control characters); whether the
 * server knows it is the server's to say (401 → exit 3). Messages never quote it.
 */
export function parseToken(raw: string | undefined, from: string): string {
  const value = raw?.trim() ?? '';
  if (!value) {
    throw new CliError(
      'no API token: set LIFEBOAT_TOKEN (or pass --token); create one under Tokens in the dashboard or with `npm run lifeboat -- token create` on the server',
      EXIT.AUTH,
      'NO_TOKEN',
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(value)) throw usageError(`${from} contains whitespace or control characters; an API token is one word (lbt_…)`);
  return value;
}

/** `--url`/`--token` win over the environment; either missing is a readable error naming both ways to give it. */
export function resolveConnection(opts: { url?: string; token?: string }, env: CliEnv): Connection {
  const rawUrl = opts.url ?? env.LIFEBOAT_URL;
  if (rawUrl === undefined || rawUrl.trim() === '') {
    throw usageError('no server: set LIFEBOAT_URL (or pass --url), e.g. LIFEBOAT_URL=https://lifeboat.example.com');
  }
  const { apiBase, server } = parseServerUrl(rawUrl, opts.url !== undefined ? '--url' : 'LIFEBOAT_URL');
  const token = parseToken(opts.token ?? env.LIFEBOAT_TOKEN, opts.token !== undefined ? '--token' : 'LIFEBOAT_TOKEN');
  return { apiBase, server, token };
}

/**
 * Every secret this invocation knows of (the token from the environment and from argv, before parsing), so that
 * whatever the CLI writes can be scrubbed of them: a last line of defence, since no message is built from them.
 */
export function secretsOf(argv: readonly string[], env: CliEnv): string[] {
  const found = new Set<string>();
  if (env.LIFEBOAT_TOKEN?.trim()) found.add(env.LIFEBOAT_TOKEN.trim());
  argv.forEach((arg, i) => {
    if (arg === '--token' && argv[i + 1]) found.add(argv[i + 1]!.trim());
    else if (arg.startsWith('--token=')) found.add(arg.slice('--token='.length).trim());
  });
  // A one- or two-character "token" would scrub ordinary words out of messages; such a value is refused anyway.
  return [...found].filter((s) => s.length >= 4);
}

/** Replaces every known secret in `text` with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}
