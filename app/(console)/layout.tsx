import { getServerSession } from 'next-auth/next';
import { redirect } from 'next/navigation';
import { actorForUser, authOptions, can } from '@/server/auth';
import { ConsoleNav } from '@/components/layout/console-nav';
import { BreakGlassBanner } from '@/components/approvals/break-glass-banner';
import { ViewerProvider, type Viewer } from '@/components/layout/viewer';

export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  const session = await getServerSession(authOptions);
  const userId = (session?.user as { id?: string } | undefined)?.id;
  // Re-read the user: a disabled account or changed role counts now, not when the JWT expires.
  const actor = userId ? await actorForUser(userId) : null;
  if (!actor) redirect('/login');
  const viewer: Viewer = {
    email: actor.label,
    role: actor.role,
    can: {
      writeInventory: can(actor, 'inventory:write'),
      runBackup: can(actor, 'backup:run'),
      requestRestore: can(actor, 'restore:request'),
      verifyPoint: can(actor, 'backup:run'),
      governPoints: can(actor, 'restore:approve'),
      cancelRun: can(actor, 'run:cancel'),
      manageTokens: can(actor, 'token:manage'),
      manageKeys: can(actor, 'key:manage'),
      readAudit: can(actor, 'audit:read'),
      manageUsers: can(actor, 'user:manage'),
      manageDestinations: can(actor, 'destination:write'),
      readNotifications: can(actor, 'notification:read'),
      manageNotifications: can(actor, 'notification:write'),
    },
  };
  return (
    <ViewerProvider viewer={viewer}>
      <ConsoleNav />
      <BreakGlassBanner />
      <main className="container">{children}</main>
    </ViewerProvider>
  );
}
