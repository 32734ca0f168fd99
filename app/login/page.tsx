import type { Metadata } from 'next';
import { getServerSession } from 'next-auth/next';
import { redirect } from 'next/navigation';
import { actorForUser, authOptions, oidcSignIn } from '@/server/auth';
import { LoginForm } from '@/components/layout/login-form';
import { safeCallbackUrl } from '@/components/layout/callback-url';
import { LifeboatMark } from '@/components/ui/logo';

export const metadata: Metadata = { title: 'Sign in' };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const callbackUrl = safeCallbackUrl(typeof params.callbackUrl === 'string' ? params.callbackUrl : undefined);
  const session = await getServerSession(authOptions);
  const userId = (session?.user as { id?: string } | undefined)?.id;
  // Only a session whose user still exists and is enabled skips the form (otherwise the console would bounce back here).
  if (userId && (await actorForUser(userId))) redirect(callbackUrl);
  return (
    <main className="login-page">
      <div className="login-card">
        <div className="login-brand">
          <LifeboatMark size={30} />
          <div>
            <h1>Lifeboat</h1>
            <p className="muted">Sign in to the backup console</p>
          </div>
        </div>
        <LoginForm callbackUrl={callbackUrl} oidc={oidcSignIn()} error={typeof params.error === 'string' ? params.error : null} />
      </div>
    </main>
  );
}
