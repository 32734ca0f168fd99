import { withAuth } from 'next-auth/middleware';

/**
 * Sends signed-out visitors of console pages to /login (with a callbackUrl back). A convenience only: every API verb
 * authorizes on its own, and /api/** answers 401 JSON itself, so the matcher leaves it (and static files) alone.
 */
export default withAuth({ pages: { signIn: '/login' } });

export const config = {
  matcher: ['/((?!api/|login(?:/|$)|_next/|favicon\\.ico$|.*\\.[A-Za-z0-9]+$).*)'],
};
