'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { signOut } from 'next-auth/react';
import { useEffect, useState } from 'react';
import { LifeboatMark } from '@/components/ui/logo';
import { PendingApprovalsBadge } from '@/components/approvals/pending-badge';
import { useViewer } from './viewer';

export function ConsoleNav() {
  const viewer = useViewer();
  const pathname = usePathname();
  const [signingOut, setSigningOut] = useState(false);
  // On a narrow screen the links are a menu; it closes once a link has been followed.
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [pathname]);
  const links = [
    { href: '/overview', label: 'Overview' },
    { href: '/sources', label: 'Sources' },
    { href: '/services', label: 'Services' },
    { href: '/policies', label: 'Policies' },
    { href: '/destinations', label: 'Destinations' },
    { href: '/runs', label: 'Runs' },
    ...(viewer.can.requestRestore || viewer.can.governPoints ? [{ href: '/approvals', label: 'Approvals' }] : []),
    ...(viewer.can.readAudit ? [{ href: '/audit', label: 'Audit' }] : []),
    ...(viewer.can.readNotifications ? [{ href: '/notifications', label: 'Notifications' }] : []),
    ...(viewer.can.manageTokens ? [{ href: '/tokens', label: 'Tokens' }] : []),
    ...(viewer.can.manageKeys ? [{ href: '/keys', label: 'Keys' }] : []),
    ...(viewer.can.manageUsers ? [{ href: '/users', label: 'Users' }] : []),
  ];
  return (
    <header className="topbar">
      <div className="topbar-inner">
        <Link href="/overview" className="brand" aria-label="Lifeboat home">
          <LifeboatMark />
          <span>Lifeboat</span>
        </Link>
        <nav aria-label="Main" id="console-nav" className={menuOpen ? 'nav nav-open' : 'nav'}>
          {links.map((l) => {
            const active = pathname === l.href || pathname.startsWith(`${l.href}/`);
            return (
              <Link key={l.href} href={l.href} className={active ? 'nav-link active' : 'nav-link'} aria-current={active ? 'page' : undefined}>
                {l.label}
                {l.href === '/approvals' && viewer.can.governPoints && <PendingApprovalsBadge />}
              </Link>
            );
          })}
        </nav>
        <div className="user" data-testid="signed-in-user">
          <span className="user-email">{viewer.email}</span>
          <span className="role-chip" data-testid="signed-in-role">
            {viewer.role.toLowerCase()}
          </span>
          <button
            type="button"
            className="btn btn-ghost btn-sm"
            disabled={signingOut}
            onClick={() => {
              setSigningOut(true);
              void signOut({ callbackUrl: '/login' });
            }}
          >
            {signingOut ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
        <button
          type="button"
          className="btn btn-ghost btn-sm nav-toggle"
          aria-expanded={menuOpen}
          aria-controls="console-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          {menuOpen ? 'Close' : 'Menu'}
        </button>
      </div>
    </header>
  );
}
