/** Only same-origin paths: a callbackUrl must never send a fresh session to another site. */
export function safeCallbackUrl(raw: string | undefined): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\') || raw.startsWith('/login')) return '/overview';
  return raw;
}
