import { describe, expect, it } from 'vitest';
import { createOwnApiToken } from './create-own-api-token';
import type { Actor } from './permissions';

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code);

describe('createOwnApiToken', () => {
  it('refuses a token (or system) actor, even an admin one, before touching anything', async () => {
    const token: Actor = { type: 'token', id: 't1', label: 'token x', role: 'ADMIN' };
    const system: Actor = { type: 'system', id: null, label: 'system', role: 'ADMIN' };
    expect(await code(createOwnApiToken({ actor: token }, { name: 'n', role: 'viewer' }))).toBe('FORBIDDEN');
    expect(await code(createOwnApiToken({ actor: system }, { name: 'n', role: 'viewer' }))).toBe('FORBIDDEN');
  });

  it('refuses a signed-in user without token:manage', async () => {
    const operator: Actor = { type: 'user', id: 'u1', label: 'op', role: 'OPERATOR' };
    expect(await code(createOwnApiToken({ actor: operator }, { name: 'n', role: 'viewer' }))).toBe('FORBIDDEN');
    expect(await code(createOwnApiToken({ actor: null }, {}))).toBe('UNAUTHENTICATED');
  });
});
