import { afterEach, describe, expect, it } from 'vitest';
import { ensureAdmin, parseAdminEnv } from './ensure-admin';

// Issue 7: LIFEBOAT_ADMIN_PASSWORD was read from process.env directly; a short one failed deep in createUser with
// "password must be at least 12 characters", naming no setting.
describe('LIFEBOAT_ADMIN_PASSWORD', () => {
  const saved = process.env.LIFEBOAT_ADMIN_PASSWORD;
  afterEach(() => {
    if (saved === undefined) delete process.env.LIFEBOAT_ADMIN_PASSWORD;
    else process.env.LIFEBOAT_ADMIN_PASSWORD = saved;
  });

  it('is parsed before anything else, with an error naming the variable', async () => {
    process.env.LIFEBOAT_ADMIN_PASSWORD = 'short';
    await expect(ensureAdmin()).rejects.toThrow(/^Invalid environment: LIFEBOAT_ADMIN_PASSWORD: .*at least 12 characters/);
  });

  it('unset or empty means "generate one"; otherwise the user rules apply', () => {
    expect(parseAdminEnv({})).toEqual({ LIFEBOAT_ADMIN_PASSWORD: undefined });
    expect(parseAdminEnv({ LIFEBOAT_ADMIN_PASSWORD: '' })).toEqual({ LIFEBOAT_ADMIN_PASSWORD: undefined });
    expect(parseAdminEnv({ LIFEBOAT_ADMIN_PASSWORD: 'e2e-Lifeboat-admin-2026' })).toEqual({ LIFEBOAT_ADMIN_PASSWORD: 'e2e-Lifeboat-admin-2026' });
    expect(() => parseAdminEnv({ LIFEBOAT_ADMIN_PASSWORD: 'x'.repeat(201) })).toThrow(/LIFEBOAT_ADMIN_PASSWORD/);
    expect(() => parseAdminEnv({ LIFEBOAT_ADMIN_PASSWORD: 'long-enough-but\u0000nul' })).toThrow(/LIFEBOAT_ADMIN_PASSWORD: must not contain control characters/);
  });
});
