import type { AuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import type { OAuthConfig } from 'next-auth/providers/oauth';
import { z } from 'zod';
import { noControlChars } from '@/server/shared/text';
import { identityFromTokens, OIDC_PROVIDER_ID, oidcSettings, signInWithOidc, type OidcSettings } from './oidc';
import { requestInfo } from '@/server/http/request-info';
import { authenticatePassword, recordSignIn } from './users';

// The sign-in form is not behind route(); the shared check keeps a NUL in the email away from PostgreSQL (a failed
// sign-in, not a 500). The password is only hashed, so any character may be in it.
const Credentials = z.object({ email: z.string().min(1).refine(...noControlChars), password: z.string().min(1) });

const credentials = CredentialsProvider({
  name: 'Email and password',
  credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
  async authorize(raw, req) {
    const creds = Credentials.safeParse(raw);
    if (!creds.success) return null;
    const actor = await authenticatePassword(creds.data.email, creds.data.password);
    if (!actor || !actor.id) return null;
    // The sign-in event records where it came from, like every web action (next-auth hands over plain headers).
    const headers = new Headers();
    for (const [k, v] of Object.entries(req?.headers ?? {})) {
      try {
        if (typeof v === 'string') headers.set(k, v);
      } catch {
        // A header the Fetch API refuses is simply not recorded; it never fails the sign-in.
      }
    }
    await recordSignIn({ ...actor, request: requestInfo(headers) }, { method: 'password' });
    return { id: actor.id, email: actor.label, name: actor.label, role: actor.role };
  },
});

/** next-auth's generic OIDC provider: discovery, authorization code with PKCE and state, claims from the ID token. */
function oidcProvider(settings: OidcSettings): OAuthConfig<Record<string, unknown>> {
  return {
    id: OIDC_PROVIDER_ID,
    name: settings.name,
    type: 'oauth',
    wellKnown: `${settings.issuer}/.well-known/openid-configuration`,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    authorization: { params: { scope: 'openid email profile' } },
    checks: ['pkce', 'state'],
    idToken: true,
    // The Lifeboat user is found or made in the signIn callback, where a refusal can be answered; this is only
    // next-auth's view of the token.
    profile: (claims) => ({ id: String(claims.sub), email: typeof claims.email === 'string' ? claims.email : null }),
  };
}

/**
 * The providers, read from the environment when next-auth asks (each request), not when this module loads:
 * `next build` imports it without the runtime environment.
 */
function providers(): AuthOptions['providers'] {
  const oidc = oidcSettings();
  return oidc ? [credentials, oidcProvider(oidc)] : [credentials];
}

/** next-auth v4: credentials against the catalog's argon2 hashes and, when configured, OIDC; JWT sessions carrying the user id. */
export const authOptions: AuthOptions = {
  session: { strategy: 'jwt', maxAge: 12 * 60 * 60 }, // a working day; operators sign in again each day
  // Errors (a refused OIDC sign-in: `?error=OidcNoRole`) land on the login page, which words them.
  pages: { signIn: '/login', error: '/login' },
  get providers() {
    return providers();
  },
  callbacks: {
    async signIn({ user, account, profile }) {
      if (account?.provider !== OIDC_PROVIDER_ID) return true;
      const settings = oidcSettings();
      if (!settings || !profile) return false;
      const identity = await identityFromTokens(settings, profile as Record<string, unknown>, account.access_token);
      const result = await signInWithOidc(identity, settings);
      if (!result.ok) return `/login?error=${result.reason}`;
      // next-auth hands this same object to the jwt callback (no adapter): the session carries the Lifeboat user id.
      Object.assign(user, { id: result.actor.id, email: result.actor.label, name: result.actor.label, role: result.actor.role });
      return true;
    },
    async jwt({ token, user }) {
      if (user) {
        token.sub = user.id;
        token.role = (user as { role?: string }).role;
      }
      return token;
    },
    async session({ session, token }) {
      if (session.user) {
        (session.user as { id?: string; role?: string }).id = token.sub;
        (session.user as { id?: string; role?: string }).role = token.role as string | undefined;
      }
      return session;
    },
  },
};

/** What the login page offers besides the password form: the OIDC button's name, or null. */
export function oidcSignIn(): { id: string; name: string } | null {
  const settings = oidcSettings();
  return settings ? { id: OIDC_PROVIDER_ID, name: settings.name } : null;
}
