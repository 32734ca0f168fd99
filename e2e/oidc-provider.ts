/**
 * A real OpenID provider (panva's oidc-provider) on 127.0.0.1 for e2e/oidc.spec.ts: discovery, authorization code
 * with PKCE, ID tokens, userinfo. Its sign-in page is this file's own (the package's development pages load web
 * fonts from the internet): type an account's login, and the provider grants what the client asked for.
 * Started by playwright.config.ts: `npx tsx e2e/oidc-provider.ts`.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import Provider, { type Configuration } from 'oidc-provider';
import { OIDC_ACCOUNTS, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_ISSUER, OIDC_PORT } from './oidc-idp';

const LIFEBOAT = process.env.NEXTAUTH_URL ?? 'http://127.0.0.1:3100';
// A signing key made for this run: nothing outlives the provider.
const signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const configuration: Configuration = {
  clients: [
    {
      client_id: OIDC_CLIENT_ID,
      client_secret: OIDC_CLIENT_SECRET,
      redirect_uris: [`${LIFEBOAT}/api/auth/callback/oidc`],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    },
  ],
  jwks: { keys: [{ ...signingKey, kid: 'e2e', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  // Profile claims (and the groups claim) come from userinfo, as the spec says for a code flow with an access token:
  // Lifeboat must read what the ID token lacks from there.
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'lifeboat_groups'] },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    const account = OIDC_ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, email: account.email, email_verified: true, name: account.name, lifeboat_groups: account.lifeboat_groups }) };
  },
};

const provider = new Provider(OIDC_ISSUER, configuration);
const oidc = provider.callback();

const page = (uid: string, error = '') => `<!doctype html>
<html><head><meta charset="utf-8"><title>Test IdP</title></head>
<body>
  <h1>Test IdP</h1>
  ${error ? `<p role="alert">${error}</p>` : ''}
  <form method="post" action="/interaction/${uid}/login">
    <label>Login <input name="login" autofocus required></label>
    <button type="submit">Sign in to Test IdP</button>
  </form>
</body></html>`;

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req: http.IncomingMessage, res: http.ServerResponse, uid: string, action: string | undefined) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(uid));
    return;
  }
  if (action !== 'login') {
    res.writeHead(404).end();
    return;
  }
  const login = (await readForm(req)).get('login') ?? '';
  if (!OIDC_ACCOUNTS[login]) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(uid, `no account "${login.replace(/[^\w.@-]/g, '')}"`));
    return;
  }
  // Consent is implied: grant the client exactly the scopes and claims it asked for.
  const grant = new provider.Grant({ accountId: login, clientId: String(details.params.client_id) });
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId: login }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

http
  .createServer((req, res) => {
    const match = /^\/interaction\/([\w-]+)(?:\/(\w+))?/.exec(req.url ?? '');
    if (!match) return oidc(req, res);
    interaction(req, res, match[1]!, match[2]).catch((e: unknown) => {
      console.error('test IdP interaction failed:', e);
      if (!res.headersSent) res.writeHead(500).end('interaction failed');
    });
  })
  .listen(OIDC_PORT, '127.0.0.1', () => console.log(`test IdP on ${OIDC_ISSUER}`));

for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => process.exit(0));
