import crypto from 'node:crypto';

/** The header every webhook request carries (docs/API.md, "Webhook signature"). */
export const SIGNATURE_HEADER = 'X-Lifeboat-Signature';

/** How old a signed request a receiver should still accept: 5 minutes covers clock skew and our retries' jitter. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** A new per-channel signing secret: 32 random bytes, shown once at creation (or rotation), then only sealed. */
export function newSigningSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}

/** `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = crypto.createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * What a receiver does (and the tests do): parse the header, refuse a timestamp older (or newer) than the tolerance,
 * recompute the HMAC over `<t>.<raw body>` and compare in constant time. Returns the refusal, or null when it verifies.
 */
export function verifySignature(secret: string, body: string, header: string | null | undefined, nowSeconds = Math.floor(Date.now() / 1000)): string | null {
  if (!header) return 'no signature header';
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return 'malformed signature header';
  if (Math.abs(nowSeconds - t) > SIGNATURE_TOLERANCE_SECONDS) return 'timestamp outside the tolerance';
  const expected = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return crypto.timingSafeEqual(expected, Buffer.from(v1, 'hex')) ? null : 'signature does not match';
}
