/**
 * Test-only: calls a route handler in-process with the request Next.js would build (the handlers read
 * `req.nextUrl`), as the hostile sweep does. Only tests import this file (it loads next/server).
 */
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- test helper: the request Next builds
import { NextRequest } from 'next/server';

export type RouteHandler = (req: NextRequest, ctx: { params: Promise<Record<string, string>> }) => Promise<Response> | Response;

export interface Call {
  method: string;
  /** Path and query, e.g. `/api/v1/sources?limit=2`. */
  url: string;
  params?: Record<string, string>;
  token?: string | null;
  /** A JSON body (serialised) or raw text with its own content type in `headers`. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Headers;
  contentType: string;
  text: string;
  json: unknown;
}

export async function callRoute(handler: unknown, call: Call): Promise<Answer> {
  const headers: Record<string, string> = { ...(call.headers ?? {}) };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  let body: string | undefined;
  if (call.body !== undefined) {
    body = typeof call.body === 'string' && headers['content-type'] ? call.body : JSON.stringify(call.body);
    headers['content-type'] ??= 'application/json';
  }
  const controller = new AbortController();
  const req = new NextRequest(`http://lifeboat.test${call.url}`, { method: call.method, headers, body, signal: controller.signal });
  try {
    const res = await (handler as RouteHandler)(req, { params: Promise.resolve(call.params ?? {}) });
    const contentType = res.headers.get('content-type') ?? '';
    // An event stream never ends by itself: read nothing, hang up like a browser closing the tab.
    if (contentType.startsWith('text/event-stream')) {
      controller.abort();
      await res.body?.cancel().catch(() => undefined);
      return { status: res.status, headers: res.headers, contentType, text: '', json: undefined };
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, contentType, text, json };
  } finally {
    controller.abort();
  }
}
