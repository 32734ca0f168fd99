import { describe, expect, it } from 'vitest';
import { parseSharedEnv } from '@/server/shared/env';
import { oidcSettings, roleFromClaims } from './oidc';

const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/lifeboat' };

describe('OIDC settings (server/shared/env.ts)', () => {
  it('are off unless issuer, client id and secret are all set; empty counts as unset', () => {
    expect(oidcSettings(parseSharedEnv(base))).toBeNull();
    expect(oidcSettings(parseSharedEnv({ ...base, LIFEBOAT_OIDC_ISSUER: '', LIFEBOAT_OIDC_CLIENT_ID: ' ' }))).toBeNull();
    expect(() => parseSharedEnv({ ...base, LIFEBOAT_OIDC_ISSUER: 'https://id.example.com' })).toThrow(
      /LIFEBOAT_OIDC_CLIENT_ID: must be set too.*LIFEBOAT_OIDC_CLIENT_SECRET: must be set too/,
    );
    expect(() => parseSharedEnv({ ...base, LIFEBOAT_OIDC_ISSUER: 'id.example.com', LIFEBOAT_OIDC_CLIENT_ID: 'a', LIFEBOAT_OIDC_CLIENT_SECRET: 'b' })).toThrow(/LIFEBOAT_OIDC_ISSUER: must be the issuer URL/);
  });

  it('default the claim to lifeboat_role and the button to "single sign-on"; parse the role map', () => {
    const on = { ...base, LIFEBOAT_OIDC_ISSUER: 'https://id.example.com/realms/ops/', LIFEBOAT_OIDC_CLIENT_ID: 'lifeboat', LIFEBOAT_OIDC_CLIENT_SECRET: 's3cret' };
    expect(oidcSettings(parseSharedEnv(on))).toEqual({
      issuer: 'https://id.example.com/realms/ops',
      clientId: 'lifeboat',
      clientSecret: 's3cret',
      name: 'single sign-on',
      roleClaim: 'lifeboat_role',
      roleMap: undefined,
    });
    const mapped = parseSharedEnv({ ...on, LIFEBOAT_OIDC_ROLE_MAP: 'admins=ADMIN, ops=operator ,,', LIFEBOAT_OIDC_ROLE_CLAIM: 'groups', LIFEBOAT_OIDC_NAME: 'Keycloak' });
    expect(oidcSettings(mapped)).toMatchObject({ name: 'Keycloak', roleClaim: 'groups', roleMap: { admins: 'ADMIN', ops: 'OPERATOR' } });
    for (const bad of ['admins', 'admins=ROOT', '=ADMIN']) {
      expect(() => parseSharedEnv({ ...on, LIFEBOAT_OIDC_ROLE_MAP: bad }), bad).toThrow(/LIFEBOAT_OIDC_ROLE_MAP: .* is not value=ROLE/);
    }
  });
});

describe('LIFEBOAT_MAX_LOCK_YEARS', () => {
  it('is 10 by default, a whole number of years from 1 to 100', () => {
    expect(parseSharedEnv(base).LIFEBOAT_MAX_LOCK_YEARS).toBe(10);
    expect(parseSharedEnv({ ...base, LIFEBOAT_MAX_LOCK_YEARS: '7' }).LIFEBOAT_MAX_LOCK_YEARS).toBe(7);
    for (const bad of ['0', '101', '1.5', 'ten']) expect(() => parseSharedEnv({ ...base, LIFEBOAT_MAX_LOCK_YEARS: bad }), bad).toThrow(/LIFEBOAT_MAX_LOCK_YEARS/);
  });
});

describe('roleFromClaims', () => {
  const mapped = { roleClaim: 'groups', roleMap: { admins: 'ADMIN', ops: 'OPERATOR', auditors: 'APPROVER' } as const };
  it('maps claim values; a list takes the widest role; unmapped or missing is no role (refused)', () => {
    expect(roleFromClaims({ groups: 'ops' }, mapped)).toBe('OPERATOR');
    expect(roleFromClaims({ groups: ['auditors', 'ops'] }, mapped)).toBe('OPERATOR');
    expect(roleFromClaims({ groups: ['ops', 'admins'] }, mapped)).toBe('ADMIN');
    expect(roleFromClaims({ groups: ['interns'] }, mapped)).toBeNull();
    expect(roleFromClaims({ groups: 'ADMIN' }, mapped)).toBeNull(); // with a map, only the map counts
    expect(roleFromClaims({}, mapped)).toBeNull();
    expect(roleFromClaims({ groups: { admins: true } }, mapped)).toBeNull();
  });
  it('without a map, the claim names the role itself', () => {
    const direct = { roleClaim: 'lifeboat_role', roleMap: undefined };
    expect(roleFromClaims({ lifeboat_role: 'approver' }, direct)).toBe('APPROVER');
    expect(roleFromClaims({ lifeboat_role: 'root' }, direct)).toBeNull();
  });
});
