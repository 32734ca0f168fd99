/** The browser side of /api/v1: JSON in and out, the session cookie for auth, `{ error }` bodies as ApiError. */

export interface ApiIssue {
  path: string[];
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Field-level problems from a VALIDATION error (`details.issues`), when the server sent them. */
  get issues(): ApiIssue[] {
    const issues = (this.details as { issues?: unknown } | undefined)?.issues;
    if (!Array.isArray(issues)) return [];
    return issues.filter(
      (i): i is ApiIssue =>
        typeof i === 'object' && i !== null && Array.isArray((i as ApiIssue).path) && typeof (i as ApiIssue).message === 'string',
    );
  }
}

export const API_BASE = '/api/v1';

export async function api<T>(path: string, init: { method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: init.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', 'Cannot reach the Lifeboat server; check your connection');
  }
  const text = await res.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (!res.ok) {
    const err = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    if (res.status === 401 && typeof window !== 'undefined') {
      // The session expired: send the operator to sign in and come back here.
      const back = window.location.pathname + window.location.search;
      window.location.assign(`/login?callbackUrl=${encodeURIComponent(back)}`);
    }
    throw new ApiError(res.status, err?.code ?? 'HTTP_' + res.status, err?.message ?? `Request failed (${res.status} ${res.statusText})`, err?.details);
  }
  return body as T;
}

/** The API's error code (`INVALID_STATE`, `VALIDATION` …) of an error thrown by `api`; null for anything else. */
export function errorCode(e: unknown): string | null {
  return e instanceof ApiError ? e.code : null;
}

/** A readable one-liner for any error thrown by `api` (or anything else). */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
