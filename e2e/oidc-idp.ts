/**
 * The local OpenID provider the e2e suite signs in against (e2e/oidc-provider.ts, started by playwright.config.ts
 * before the web server, which gets `OIDC_WEB_ENV`). Everything on 127.0.0.1; the names are for e2e/oidc.spec.ts.
 */
export const OIDC_PORT = 3102;
export const OIDC_ISSUER = `http://127.0.0.1:${OIDC_PORT}`;
export const OIDC_CLIENT_ID = 'lifeboat-e2e';
// A test client's secret on a provider that lives for one run on the loopback interface.
export const OIDC_CLIENT_SECRET = 'e2e-oidc-client-secret-2026';
export const OIDC_NAME = 'Test IdP';

/** The provider's accounts: the login typed on its page is the account id (`sub`). */
export const OIDC_ACCOUNTS: Record<string, { email: string; name: string; lifeboat_groups: string[] }> = {
  // ops → OPERATOR through LIFEBOAT_OIDC_ROLE_MAP.
  olga: { email: 'olga.ops@idp.example.test', name: 'Olga Ops', lifeboat_groups: ['ops'] },
  // A group Lifeboat does not map: refused.
  ivan: { email: 'ivan.intern@idp.example.test', name: 'Ivan Intern', lifeboat_groups: ['interns'] },
};

/** What the web server is started with (playwright.config.ts). */
export const OIDC_WEB_ENV = {
  LIFEBOAT_OIDC_ISSUER: OIDC_ISSUER,
  LIFEBOAT_OIDC_CLIENT_ID: OIDC_CLIENT_ID,
  LIFEBOAT_OIDC_CLIENT_SECRET: OIDC_CLIENT_SECRET,
  LIFEBOAT_OIDC_NAME: OIDC_NAME,
  LIFEBOAT_OIDC_ROLE_CLAIM: 'lifeboat_groups',
  LIFEBOAT_OIDC_ROLE_MAP: 'admins=ADMIN,ops=OPERATOR,auditors=APPROVER',
};
