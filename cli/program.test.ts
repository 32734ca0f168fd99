import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './program';

// Argument parsing and the exit-code contract of `lifeboat` (docs/CLI.md), in-process. HTTP answers come from a
// small local server speaking the API's error shape (docs/API.md "Errors"), so that the status → exit code mapping
// is checked over real HTTP; the commands against a real Lifeboat are e2e/cli.spec.ts.

const TOKEN = 'lbt_unit-test-secret-token';
const POINT = '0f6a8e52-3c1d-4d2b-9a7e-1b2c3d4e5f60';
let base = '';
let closedPort = 0;
let server: http.Server;
const seen: { method: string; url: string; auth?: string; body: string; agent?: string }[] = [];

const error = (res: http.ServerResponse, status: number, code: string, message: string) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error: { code, message } }));
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body, agent: req.headers['user-agent'] });
      const url = req.url ?? '';
      if (url.startsWith('/html/')) {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html>not lifeboat</html>');
      }
      if (url.startsWith('/moved/')) {
        res.writeHead(308, { location: 'https://elsewhere.example/api/v1/sources?x=1' });
        return res.end();
      }
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return error(res, 401, 'UNAUTHENTICATED', 'API token is unknown, revoked or expired');
      if (url === '/api/v1/sources') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ items: [{ id: '7d0c2f4e-1111-4222-8333-444455556666', name: 'orders-db', kind: 'postgres', service: null, recoveryPointCount: 2 }] }));
      }
      if (url === '/api/v1/audit/verify') return error(res, 403, 'FORBIDDEN', 'role viewer may not audit:read');
      if (url === `/api/v1/recovery-points/${POINT}/restores`) return error(res, 422, 'VALIDATION', 'target.database: target database must not be one of postgres, template0, template1');
      if (url === '/api/v1/slo') return error(res, 500, 'INTERNAL', 'Internal error; see the server log');
      if (url === '/api/v1/runs/0f6a8e52-3c1d-4d2b-9a7e-000000000000') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ id: 'x' }));
      }
      return error(res, 404, 'NOT_FOUND', 'no such route');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
});

afterAll(() => new Promise((r) => server.close(r)));

async function cli(argv: string[], env: Record<string, string> = { LIFEBOAT_URL: base, LIFEBOAT_TOKEN: TOKEN }) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    env,
    readText: () => {
      throw Object.assign(new Error('no files in unit tests'), { code: 'ENOENT' });
    },
  });
  return { code, stdout, stderr };
}

describe('usage errors exit 2 before anything is sent', () => {
  it.each([
    [[], /Usage: lifeboat/],
    [['bogus'], /unknown command 'bogus'/],
    [['backup'], /missing required argument 'source'/],
    [['sources', 'list', '--frobnicate'], /unknown option '--frobnicate'/],
    [['restore', '--target', 'database=x'], /give the recovery point first/],
    [['restore', 'not-a-point', '--target', 'database=x'], /recovery point must be a recovery point id .*not "not-a-point"/],
    [['restore', POINT], /--target is required/],
    [['restore', POINT, '--target', 'orders'], /not key=value/],
    [['runs', 'show', '42'], /run must be a run id/],
    [['runs', 'show', POINT, '--wait', '--timeout', 'soon'], /--timeout must be a whole number/],
    [['requests', 'approve', POINT, '--comment', 'a', '--reason', 'b'], /--comment or --reason, not both/],
    [['requests', 'list', '--status', 'maybe'], /--status must be one of/],
    [['requests', 'list', '--limit', 'ten'], /--limit must be a whole number/],
    [['sources'], /Usage: lifeboat sources/],
  ])('%j', async (argv, message) => {
    const before = seen.length;
    const r = await cli(argv);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(seen.length).toBe(before);
  });

  it('--help and --version exit 0 on stdout; the help lists the exit codes', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit status:[\s\S]*3 no token, or the API answered 401\/403/);
    const version = await cli(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    expect((await cli(['restore', '--help'])).stdout).toMatch(/--target <target\.\.\.>/);
  });

  it('no server is 2, no token is 3', async () => {
    expect(await cli(['sources', 'list'], { LIFEBOAT_TOKEN: TOKEN })).toMatchObject({ code: 2, stderr: expect.stringContaining('set LIFEBOAT_URL') });
    expect(await cli(['sources', 'list'], { LIFEBOAT_URL: base })).toMatchObject({ code: 3, stderr: expect.stringContaining('set LIFEBOAT_TOKEN') });
  });
});

describe('API answers map to exit codes', () => {
  it('200: the answer on stdout (--json: exactly the API answer), the token sent as a bearer, a user agent', async () => {
    const r = await cli(['sources', 'list', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ items: [expect.objectContaining({ name: 'orders-db' })] });
    expect(r.stderr).toBe('');
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/api/v1/sources', auth: `Bearer ${TOKEN}`, agent: expect.stringMatching(/^lifeboat-cli\//) });
    const human = await cli(['sources', 'list']);
    expect(human.stdout).toMatch(/^NAME\s+KIND\s+SERVICE\s+POINTS\s+LAST RUN\s+ID\norders-db\s+postgres/);
  });

  it('--url and --token override the environment, and global options may follow the command', async () => {
    const r = await cli(['sources', 'list', '--url', base, '--token', TOKEN, '--json'], { LIFEBOAT_URL: 'http://127.0.0.1:9', LIFEBOAT_TOKEN: 'lbt_other' });
    expect(r.code, r.stderr).toBe(0);
  });

  it('401 is 3, and neither the token from the environment nor from argv appears in the output', async () => {
    const env = await cli(['sources', 'list'], { LIFEBOAT_URL: base, LIFEBOAT_TOKEN: 'lbt_wrong-env-token' });
    expect(env).toMatchObject({ code: 3, stdout: '' });
    expect(env.stderr).toMatch(/UNAUTHENTICATED: API token is unknown, revoked or expired \(HTTP 401\)/);
    expect(env.stderr).not.toContain('lbt_wrong-env-token');
    const argv = await cli(['sources', 'list', '--token', 'lbt_wrong-argv-token', '--url', base], {});
    expect(argv.code).toBe(3);
    expect(argv.stderr).not.toContain('lbt_wrong-argv-token');
  });

  it('403 is 3', async () => {
    expect(await cli(['audit', 'verify'])).toMatchObject({ code: 3, stderr: expect.stringContaining('FORBIDDEN: role viewer may not audit:read (HTTP 403)') });
  });

  it('422 is 2 with the API code and message; --json puts the error as JSON on stderr, nothing on stdout', async () => {
    const r = await cli(['restore', POINT, '--target', 'database=template1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('lifeboat: VALIDATION: target.database: target database must not be one of postgres, template0, template1 (HTTP 422)\n');
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ target: { database: 'template1' } });
    const json = await cli(['--json', 'restore', POINT, '--target', '{"database":"template1"}', '--mode', 'new', '--reason', 'why']);
    expect(json.code).toBe(2);
    expect(json.stdout).toBe('');
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'VALIDATION', message: 'target.database: target database must not be one of postgres, template0, template1', exitCode: 2, status: 422 } });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ target: { database: 'template1' }, mode: 'new', reason: 'why' });
  });

  it('404 is 2; 5xx is 1', async () => {
    expect((await cli(['runs', 'show', POINT])).code).toBe(2);
    expect(await cli(['slo'])).toMatchObject({ code: 1, stderr: expect.stringContaining('INTERNAL') });
  });

  it('an answer of an unexpected shape is 1 and says so', async () => {
    expect(await cli(['runs', 'show', '0f6a8e52-3c1d-4d2b-9a7e-000000000000'])).toMatchObject({ code: 1, stderr: expect.stringContaining('not what this CLI understands') });
  });

  it('unreachable, not the Lifeboat API, or redirected: 4, with a readable message', async () => {
    const refused = await cli(['sources', 'list'], { LIFEBOAT_URL: `http://127.0.0.1:${closedPort}`, LIFEBOAT_TOKEN: TOKEN });
    expect(refused).toMatchObject({ code: 4, stderr: expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1:\d+ \(GET \/api\/v1\/sources\): connection refused \(ECONNREFUSED\)/) });
    const html = await cli(['sources', 'list'], { LIFEBOAT_URL: `${base}/html`, LIFEBOAT_TOKEN: TOKEN });
    expect(html).toMatchObject({ code: 4, stderr: expect.stringContaining('HTTP 200 (text/html), not the Lifeboat API: check LIFEBOAT_URL') });
    const moved = await cli(['sources', 'list'], { LIFEBOAT_URL: `${base}/moved`, LIFEBOAT_TOKEN: TOKEN });
    expect(moved).toMatchObject({ code: 4, stderr: expect.stringContaining('redirected GET /moved/api/v1/sources (HTTP 308 to https://elsewhere.example/api/v1/sources)') });
  });

  it('an unknown source name is 2 and says how to list them', async () => {
    const r = await cli(['backup', 'Orders-DB']);
    expect(r).toMatchObject({ code: 2, stderr: expect.stringContaining('no source named "Orders-DB"; did you mean "orders-db"?') });
  });
});
