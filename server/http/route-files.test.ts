import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROUTE_METHODS, otherMethods } from './fallbacks';

const API = path.resolve(import.meta.dirname, '../../app/api');
const routeFiles = (fs.readdirSync(API, { recursive: true }) as string[]).filter((f) => path.basename(f) === 'route.ts');

describe('app/api route files', () => {
  // Next.js answers a method a route file does not export with an empty 405; the API promises its JSON error shape.
  it.each(routeFiles)('%s answers every method (its own or otherMethods)', (file) => {
    const text = fs.readFileSync(path.join(API, file), 'utf8');
    const exported = ROUTE_METHODS.filter((m) =>
      new RegExp(`export\\s+(?:const|async\\s+function|function)\\s+${m}\\b|export\\s+(?:const\\s+)?\\{[^}]*\\b${m}\\b[^}]*\\}`).test(text),
    );
    expect(exported).toEqual([...ROUTE_METHODS]);
  });
});

describe('otherMethods', () => {
  it('answers 405 in the error shape with an Allow header', async () => {
    const { DELETE } = otherMethods('GET', 'POST');
    const res = DELETE(new Request('http://x/api/v1/sources', { method: 'DELETE' }));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS');
    expect(await res.json()).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message: 'DELETE is not allowed here; use GET or POST' } });
  });
});
