/** Helpers the specs share: the test catalog server (for making source databases) and a checked API client. */
import { expect, type APIRequestContext } from '@playwright/test';
import pg from 'pg';

/** The PostgreSQL server of the test catalog (DATABASE_URL from scripts/test.sh), where specs create source databases. */
export function server() {
  const raw = process.env.DATABASE_URL;
  if (!raw) throw new Error('DATABASE_URL is not set');
  const url = new URL(raw);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: decodeURIComponent(url.password),
    adminDatabase: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
  };
}

export async function withClient<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const s = server();
  const client = new pg.Client({ host: s.host, port: s.port, user: s.user, password: s.password || undefined, database });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The API as one token (made through the real CLI); answers are checked, so a failed setup says why. */
export function apiAs(request: APIRequestContext, token: string) {
  const headers = { Authorization: `Bearer ${token}` };
  const check = async (res: Awaited<ReturnType<APIRequestContext['get']>>, what: string) => {
    expect(res.ok(), `${what}: ${res.status()} ${await res.text()}`).toBe(true);
    return res.json();
  };
  return {
    get: async (path: string) => check(await request.get(`/api/v1${path}`, { headers }), `GET ${path}`),
    post: async (path: string, data?: unknown) => check(await request.post(`/api/v1${path}`, { headers, data }), `POST ${path}`),
    put: async (path: string, data: unknown) => check(await request.put(`/api/v1${path}`, { headers, data }), `PUT ${path}`),
  };
}

/**
 * Adds a PostgreSQL source on the test server over the API (as `request`'s session: a signed-in page's `page.request`)
 * and backs it up; resolves with the source's id once the backup run SUCCEEDED.
 */
export async function addSourceAndBackUp(request: APIRequestContext, name: string, config: Record<string, unknown>, timeout: number): Promise<string> {
  const s = server();
  const created = await request.post('/api/v1/sources', {
    data: { kind: 'postgres', name, config: { host: s.host, port: s.port, user: s.user, ...(s.password ? { password: s.password } : {}), ...config } },
  });
  expect(created.status(), await created.text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const backup = await request.post(`/api/v1/sources/${id}/backups`);
  expect(backup.status(), await backup.text()).toBe(202);
  const run = (await backup.json()) as { id: string };
  await expect.poll(async () => ((await (await request.get(`/api/v1/runs/${run.id}`)).json()) as { status: string }).status, { timeout }).toBe('SUCCEEDED');
  return id;
}
