'use client';

import { signIn } from 'next-auth/react';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { Alert } from '@/components/ui/alert';

/** What a refused or failed OIDC sign-in (`/login?error=…`, from next-auth or server/auth/oidc.ts) tells the person. */
function oidcErrorText(code: string, provider: string): string {
  switch (code) {
    case 'OidcNoRole':
      return `Your ${provider} account has no Lifeboat role. Ask an admin to give your group one.`;
    case 'OidcDisabled':
      return 'This account is disabled.';
    case 'OidcNoEmail':
      return `${provider} sent no email address for your account; Lifeboat needs one.`;
    case 'OidcEmailTaken':
      return `A Lifeboat user with your email exists and cannot be linked to your ${provider} account (the email is not verified there, or the user is linked to another account). Ask an admin.`;
    case 'CredentialsSignin':
      return 'Wrong email or password, or the account is disabled.';
    case 'SessionRequired':
      return 'Sign in to continue.';
    default:
      return `Sign-in with ${provider} failed (${code}). Try again, or ask an admin to check the OIDC settings.`;
  }
}

export function LoginForm({
  callbackUrl,
  oidc = null,
  error: initialError = null,
}: {
  callbackUrl: string;
  /** The configured OIDC provider, shown as "Sign in with <name>"; null when only passwords are on. */
  oidc?: { id: string; name: string } | null;
  /** `?error=` of a sign-in that came back refused. */
  error?: string | null;
}) {
  const router = useRouter();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(initialError ? oidcErrorText(initialError, oidc?.name ?? 'single sign-on') : null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      const res = await signIn('credentials', { email, password, redirect: false, callbackUrl });
      if (res?.ok && !res.error) {
        router.replace(callbackUrl);
        router.refresh();
        return;
      }
      setError(
        res?.error === 'CredentialsSignin' || res?.status === 401
          ? 'Wrong email or password, or the account is disabled.'
          : `Sign-in failed: ${res?.error ?? 'no answer from the server'}`,
      );
    } catch {
      setError('Cannot reach the Lifeboat server; check your connection.');
    }
    setPending(false);
  }

  return (
    <form onSubmit={onSubmit} className="form" aria-label="Sign in">
      <label className="field">
        <span>Email</span>
        <input
          type="email"
          name="email"
          autoComplete="username"
          required
          autoFocus
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </label>
      <label className="field">
        <span>Password</span>
        <input
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      {error && <Alert testId="login-error">{error}</Alert>}
      <button type="submit" className="btn btn-primary btn-block" disabled={pending}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
      {oidc && (
        <>
          <p className="muted" style={{ textAlign: 'center', margin: 0 }}>or</p>
          <button
            type="button"
            className="btn btn-block"
            data-testid="oidc-sign-in"
            disabled={pending}
            onClick={() => {
              setPending(true);
              void signIn(oidc.id, { callbackUrl });
            }}
          >
            Sign in with {oidc.name}
          </button>
        </>
      )}
    </form>
  );
}
