import { describe, expect, it } from 'vitest';
import { parseServerUrl, parseToken, redact, resolveConnection, secretsOf } from './config';
import { CliError, EXIT, exitCodeForStatus } from './errors';
import { parseTarget } from './target';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof CliError) return { exit: e.exitCode, message: e.message };
    throw e;
  }
  throw new Error('did not throw');
};

describe('server URL', () => {
  it('takes an origin, a path prefix or the API base itself', () => {
    expect(parseServerUrl('https://lifeboat.example.com', 'x')).toEqual({ apiBase: 'https://lifeboat.example.com/api/v1', server: 'https://lifeboat.example.com' });
    expect(parseServerUrl('https://ops.example.com/lifeboat/', 'x').apiBase).toBe('https://ops.example.com/lifeboat/api/v1');
    expect(parseServerUrl(' http://127.0.0.1:3100/api/v1/ ', 'x').apiBase).toBe('http://127.0.0.1:3100/api/v1');
  });

  it('refuses what is not an http(s) URL, credentials, queries and fragments, naming where it came from', () => {
    expect(codeOf(() => parseServerUrl('lifeboat.example.com', '--url'))).toEqual({ exit: EXIT.USAGE, message: expect.stringMatching(/^--url is not a URL/) });
    expect(codeOf(() => parseServerUrl('ftp://x', 'LIFEBOAT_URL')).message).toMatch(/LIFEBOAT_URL must be an http/);
    const creds = codeOf(() => parseServerUrl('https://me:hunter22@x.example', '--url'));
    expect(creds.message).toMatch(/credentials/);
    expect(creds.message).not.toContain('hunter22');
    expect(codeOf(() => parseServerUrl('https://x.example/?a=1', '--url')).message).toMatch(/query/);
    expect(codeOf(() => parseServerUrl('  ', '--url')).message).toMatch(/empty/);
  });
});

describe('connection', () => {
  it('prefers --url/--token over the environment', () => {
    const c = resolveConnection({ url: 'http://a.example', token: 'lbt_flag' }, { LIFEBOAT_URL: 'http://b.example', LIFEBOAT_TOKEN: 'lbt_env' });
    expect(c).toMatchObject({ server: 'http://a.example', token: 'lbt_flag' });
    expect(resolveConnection({}, { LIFEBOAT_URL: 'http://b.example', LIFEBOAT_TOKEN: 'lbt_env' })).toMatchObject({ server: 'http://b.example', token: 'lbt_env' });
  });

  it('no URL is a usage error (2), no token an auth error (3), both saying how to give them', () => {
    expect(codeOf(() => resolveConnection({}, { LIFEBOAT_TOKEN: 'lbt_x' }))).toEqual({ exit: EXIT.USAGE, message: expect.stringContaining('LIFEBOAT_URL') });
    expect(codeOf(() => resolveConnection({}, { LIFEBOAT_URL: 'http://x.example' }))).toEqual({ exit: EXIT.AUTH, message: expect.stringContaining('LIFEBOAT_TOKEN') });
    expect(codeOf(() => resolveConnection({}, { LIFEBOAT_URL: 'http://x.example', LIFEBOAT_TOKEN: '  ' })).exit).toBe(EXIT.AUTH);
  });

  it('a token with whitespace inside is refused without being quoted', () => {
    const r = codeOf(() => parseToken('lbt_abc def-secret', '--token'));
    expect(r.exit).toBe(EXIT.USAGE);
    expect(r.message).not.toContain('def-secret');
  });

  it('knows the token from the environment and from argv (both spellings), and scrubs it from any text', () => {
    const secrets = secretsOf(['--token', 'lbt_fromargv', 'sources', 'list', '--token=lbt_fromeq'], { LIFEBOAT_TOKEN: 'lbt_fromenv' });
    expect(secrets.sort()).toEqual(['lbt_fromargv', 'lbt_fromenv', 'lbt_fromeq']);
    expect(redact('bad lbt_fromargv and lbt_fromenv', secrets)).toBe('bad [redacted] and [redacted]');
  });
});

describe('exit codes', () => {
  it('maps API statuses: 401/403 auth, other 4xx usage, 5xx failure', () => {
    expect([400, 401, 403, 404, 409, 413, 422, 500, 502, 503].map(exitCodeForStatus)).toEqual([2, 3, 3, 2, 2, 2, 2, 1, 1, 1]);
  });
});

describe('--target', () => {
  const noFiles = (p: string) => {
    throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
  };

  it('reads key=value as strings, key:=json as JSON, JSON objects and @files, merged left to right', () => {
    expect(parseTarget(['database=orders_restored', 'noPrivileges:=true'], noFiles)).toEqual({ database: 'orders_restored', noPrivileges: true });
    expect(parseTarget(['{"mode":"replay","port":6380}', 'host=cache.internal'], noFiles)).toEqual({ mode: 'replay', port: 6380, host: 'cache.internal' });
    expect(parseTarget(['@t.json', 'database=b'], (p) => (p === 't.json' ? '{"database":"a","password":"s"}' : noFiles(p)))).toEqual({ database: 'b', password: 's' });
    expect(parseTarget(['note=a=b'], noFiles)).toEqual({ note: 'a=b' });
    expect(parseTarget(['port:=6380'], noFiles)).toEqual({ port: 6380 });
  });

  it('refuses what it cannot read, naming the problem (exit 2)', () => {
    const cases: [string[] | undefined, RegExp][] = [
      [undefined, /--target is required/],
      [[], /--target is required/],
      [['orders_restored'], /not key=value/],
      [['=x'], /not key=value/],
      [['a b=c'], /not a field name/],
      [['database=a', 'database=b'], /database twice/],
      [['port:=six'], /needs a JSON value/],
      [['{"database":'], /not valid JSON/],
      [['[1,2]'], /not key=value/],
      [['@missing.json'], /cannot read missing.json: ENOENT/],
      [['@'], /needs a file name/],
    ];
    for (const [values, message] of cases) expect(codeOf(() => parseTarget(values, noFiles)), JSON.stringify(values)).toEqual({ exit: EXIT.USAGE, message: expect.stringMatching(message) });
    expect(codeOf(() => parseTarget(['@list.json'], () => '[1]')).message).toMatch(/must be a JSON object/);
  });
});
