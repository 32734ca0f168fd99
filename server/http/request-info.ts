import crypto from 'node:crypto';
import net from 'node:net';
import type { Actor } from '@/server/auth/permissions';

// A caller's request id is kept when it looks like one (a uuid, a proxy's token): up to 100 safe characters.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** LIFEBOAT_TRUST_PROXY=1|true: the web app sits behind a reverse proxy that sets X-Forwarded-For. */
export function trustProxy(source: Record<string, string | undefined> = process.env): boolean {
  return /^(1|true|yes)$/i.test(source.LIFEBOAT_TRUST_PROXY?.trim() ?? '');
}

/**
 * What the audit trail records of a web request: its id (the caller's `x-request-id` when well-formed, else a new
 * uuid), the client address and the user agent. The address is X-Forwarded-For's first hop, and only behind a
 * trusted proxy: route handlers never see the socket, and without a proxy that overwrites the header a client could
 * write any address into it (Next.js keeps a client's header and fills it from the socket only when absent), so then
 * the address is unknown (null) rather than made up.
 */
export function requestInfo(headers: Headers, trusted: boolean = trustProxy()): NonNullable<Actor['request']> {
  const given = headers.get('x-request-id')?.trim();
  const id = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
  let ip: string | null = null;
  if (trusted) {
    const first = headers.get('x-forwarded-for')?.split(',')[0]?.trim() ?? '';
    // "::ffff:10.0.0.1" and "[2001:db8::1]" are addresses too; anything else (a name, garbage) is not recorded.
    const bare = first.replace(/^\[(.*)\]$/, '$1');
    ip = net.isIP(bare) ? bare : null;
  }
  const userAgent = headers.get('user-agent')?.trim() || null;
  return { id, ip, userAgent };
}
