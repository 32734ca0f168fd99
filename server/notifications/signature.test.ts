import { describe, expect, it } from 'vitest';
import { newSigningSecret, signatureHeader, verifySignature } from './signature';

describe('webhook signature', () => {
  const secret = newSigningSecret();
  const body = JSON.stringify({ event: 'backup.failed', id: 'backup.failed:1' });

  it('is t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">, and verifies', () => {
    const header = signatureHeader(secret, body, 1_700_000_000);
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(secret, body, header, 1_700_000_100)).toBeNull();
  });

  it('refuses another body, another secret, a stale or future timestamp and a malformed header', () => {
    const header = signatureHeader(secret, body, 1_700_000_000);
    expect(verifySignature(secret, `${body} `, header, 1_700_000_000)).toBe('signature does not match');
    expect(verifySignature(newSigningSecret(), body, header, 1_700_000_000)).toBe('signature does not match');
    expect(verifySignature(secret, body, header, 1_700_000_301)).toBe('timestamp outside the tolerance');
    expect(verifySignature(secret, body, header, 1_699_999_699)).toBe('timestamp outside the tolerance');
    expect(verifySignature(secret, body, 't=abc,v1=00', 1_700_000_000)).toBe('malformed signature header');
    expect(verifySignature(secret, body, undefined)).toBe('no signature header');
  });
});
