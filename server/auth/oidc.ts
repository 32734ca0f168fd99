import { recordAudit } from '@/server/audit/record-audit';
import { withTransaction } from '@/server/shared/context';
import { env, type SharedEnv } from '@/server/shared/env';
import { logger } from '@/server/shared/logger';
import { isUniqueViolation } from '@/server/shared/prisma-errors';
import { ROLES, type Actor, type Role } from './permissions';

/** next-auth's id for the one generic OIDC provider: the callback URL is `/api/auth/callback/oidc`. */
export const OIDC_PROVIDER_ID = 'oidc';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Shown on the login button: "Sign in with <name>". */
  name: string;
  roleClaim: string;
  /** Claim value → role; undefined: the claim names the role itself. */
  roleMap: Record<string, Role> | undefined;
}

/** The OIDC settings from the environment, or null when OIDC sign-in is not configured. */
export function oidcSettings(source: SharedEnv = env()): OidcSettings | null {
  const { LIFEBOAT_OIDC_ISSUER: issuer, LIFEBOAT_OIDC_CLIENT_ID: clientId, LIFEBOAT_OIDC_CLIENT_SECRET: clientSecret } = source;
  if (!issuer || !clientId || !clientSecret) return null;
  return {
    issuer: issuer.replace(/\/+$/, ''),
    clientId,
    clientSecret,
    name: source.LIFEBOAT_OIDC_NAME,
    roleClaim: source.LIFEBOAT_OIDC_ROLE_CLAIM,
    roleMap: source.LIFEBOAT_OIDC_ROLE_MAP,
  };
}

// When the claim carries several values (a groups claim), the widest role wins; an operator who is also an approver
// is an operator here (roles are one per user; approving is the narrower duty).
const PRECEDENCE: readonly Role[] = ['ADMIN', 'OPERATOR', 'APPROVER', 'VIEWER'];

/**
 * The role the claim maps to, or null: an unmapped or missing claim refuses the sign-in (nobody gets into the
 * console, even read-only, without the identity provider saying so).
 */
export function roleFromClaims(claims: Record<string, unknown>, settings: Pick<OidcSettings, 'roleClaim' | 'roleMap'>): Role | null {
  const raw = claims[settings.roleClaim];
  const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
  const roles = new Set<Role>();
  for (const value of values) {
    if (settings.roleMap) {
      const role = settings.roleMap[value];
      if (role) roles.add(role);
    } else {
      const role = value.trim().toUpperCase();
      if ((ROLES as readonly string[]).includes(role)) roles.add(role as Role);
    }
  }
  return PRECEDENCE.find((r) => roles.has(r)) ?? null;
}

/** Why an OIDC sign-in was refused; the login page words each one (components/layout/login-form.tsx). */
export type OidcRefusal = 'OidcNoRole' | 'OidcDisabled' | 'OidcNoEmail' | 'OidcEmailTaken';

export interface OidcIdentity {
  /** `iss` of the validated ID token. */
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  /** Every claim seen (ID token, then userinfo for what it lacked): the role claim is read from here. */
  claims: Record<string, unknown>;
}

/**
 * Finds or creates the Lifeboat user of an OIDC identity and sets its role from the claim, on every sign-in.
 *
 * - By `(oidcIssuer, oidcSubject)` first: the stable identity; its email may change at the provider.
 * - Else an existing user with the same email is linked, only when the provider says the email is verified
 *   (`email_verified: true`) and that user has no OIDC identity yet. Safe in this trust model: the provider already
 *   decides who is admin through the role claim, so linking gives it nothing more; an unverified email could be
 *   anyone's, and a user linked to another identity stays that identity's.
 * - Else a new user without a password.
 * A disabled user stays disabled (refused); the role follows the claim, so demoting someone at the provider takes
 * effect at their next sign-in (and removing the claim refuses them).
 */
export async function signInWithOidc(identity: OidcIdentity, settings: OidcSettings): Promise<{ ok: true; actor: Actor } | { ok: false; reason: OidcRefusal }> {
  const role = roleFromClaims(identity.claims, settings);
  if (!role) {
    logger.warn({ issuer: identity.issuer, claim: settings.roleClaim }, 'OIDC sign-in refused: the role claim maps to no role');
    return { ok: false, reason: 'OidcNoRole' };
  }
  try {
    return await findOrCreate(identity, role);
  } catch (e) {
    // Two first sign-ins of one person at once: the other created the user; this one finds it.
    if (isUniqueViolation(e)) return findOrCreate(identity, role);
    throw e;
  }
}

async function findOrCreate(identity: OidcIdentity, role: Role): Promise<{ ok: true; actor: Actor } | { ok: false; reason: OidcRefusal }> {
  return withTransaction({ actor: null }, async (tx) => {
    const where = { oidcIssuer_oidcSubject: { oidcIssuer: identity.issuer, oidcSubject: identity.subject } };
    let user = await tx.user.findUnique({ where });
    let how: 'existing' | 'linked' | 'created' = 'existing';
    if (!user) {
      const email = identity.email?.trim().toLowerCase();
      if (!email) return { ok: false, reason: 'OidcNoEmail' as const };
      const byEmail = await tx.user.findUnique({ where: { email } });
      if (byEmail) {
        if (!identity.emailVerified || byEmail.oidcIssuer !== null) return { ok: false, reason: 'OidcEmailTaken' as const };
        user = byEmail;
        how = 'linked';
      } else {
        user = await tx.user.create({
          data: { email, name: identity.name?.trim().slice(0, 100) || email, role, passwordHash: null, oidcIssuer: identity.issuer, oidcSubject: identity.subject },
        });
        how = 'created';
      }
    }
    if (user.disabled) return { ok: false, reason: 'OidcDisabled' as const };
    const previousRole = user.role;
    user = await tx.user.update({
      where: { id: user.id },
      data: { role, lastSignInAt: new Date(), ...(how === 'linked' ? { oidcIssuer: identity.issuer, oidcSubject: identity.subject } : {}) },
    });
    const actor: Actor = { type: 'user', id: user.id, label: user.email, role: user.role, userId: user.id };
    if (how === 'created') {
      await recordAudit(tx, actor, { action: 'user.create', targetType: 'user', targetId: user.id, details: { email: user.email, role, via: 'oidc', issuer: identity.issuer } });
    }
    await recordAudit(tx, actor, {
      action: 'user.sign-in',
      targetType: 'user',
      targetId: user.id,
      details: {
        method: 'oidc',
        issuer: identity.issuer,
        role,
        ...(previousRole !== role && how !== 'created' ? { previousRole } : {}),
        ...(how === 'linked' ? { linkedByEmail: true } : {}),
      },
    });
    return { ok: true as const, actor };
  });
}

// A sign-in waits on the provider: 10 s is far beyond a healthy one and bounds a hung one.
const USERINFO_TIMEOUT_MS = 10_000;

/**
 * The identity of a validated ID token, with what it lacks (email, name, the role claim: providers that follow the
 * spec strictly put profile claims in userinfo only) read from the userinfo endpoint with the access token. Userinfo
 * never overrides the ID token, and is ignored unless its `sub` is the token's.
 */
export async function identityFromTokens(
  settings: OidcSettings,
  idClaims: Record<string, unknown>,
  accessToken: string | undefined,
): Promise<OidcIdentity> {
  let claims = { ...idClaims };
  const lacks = ['email', settings.roleClaim].some((k) => claims[k] === undefined);
  if (lacks && accessToken) {
    try {
      const discovery = (await fetchJson(`${settings.issuer}/.well-known/openid-configuration`)) as { userinfo_endpoint?: unknown };
      if (typeof discovery.userinfo_endpoint === 'string') {
        const info = (await fetchJson(discovery.userinfo_endpoint, accessToken)) as Record<string, unknown>;
        if (info.sub === idClaims.sub) claims = { ...info, ...claims };
      }
    } catch (e) {
      logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'OIDC userinfo could not be read; using the ID token alone');
    }
  }
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null);
  return {
    issuer: str(idClaims.iss) ?? settings.issuer,
    subject: String(idClaims.sub),
    email: str(claims.email),
    emailVerified: claims.email_verified === true || claims.email_verified === 'true',
    name: str(claims.name) ?? str(claims.preferred_username),
    claims,
  };
}

async function fetchJson(url: string, bearer?: string): Promise<unknown> {
  const res = await fetch(url, {
    headers: { accept: 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    signal: AbortSignal.timeout(USERINFO_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`${new URL(url).pathname} answered ${res.status}`);
  return res.json();
}
