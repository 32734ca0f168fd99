import { withAuth } from 'next-auth/middleware';

/**
 * Sends signed-out visitors of console pages to /login (with a callbackUrl back). A convenience only: every API verb
 * authorizes on its own, and /api/** and /metrics (a scraper's, with a bearer token) answer 401 themselves, so the
 * matcher leaves them (and static files) alone.
 */
export default withAuth({ pages: { signIn: '/login' } });

export const config = {
  matcher: ['/((?!api/|metrics$|login(?:/|$)|_next/|favicon\\.ico$|.*\\.[A-Za-z0-9]+$).*)'],
};
