import { describe, expect, it } from 'vitest';
import { requestInfo, trustProxy } from './request-info';

const headers = (h: Record<string, string>) => new Headers(h);

describe('requestInfo (what the audit trail records of a web request)', () => {
  it('keeps a well-formed x-request-id and makes one up otherwise', () => {
    expect(requestInfo(headers({ 'x-request-id': 'abc-123' }), false).id).toBe('abc-123');
    for (const bad of ['', 'has space', 'x'.repeat(101), 'semi;colon']) {
      expect(requestInfo(headers({ 'x-request-id': bad }), false).id, bad).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(requestInfo(headers({}), false).id).not.toBe(requestInfo(headers({}), false).id);
  });

  it('takes the first X-Forwarded-For hop only behind a trusted proxy, and only when it is an address', () => {
    const h = headers({ 'x-forwarded-for': '203.0.113.7, 10.0.0.1', 'user-agent': 'curl/8' });
    expect(requestInfo(h, true)).toMatchObject({ ip: '203.0.113.7', userAgent: 'curl/8' });
    expect(requestInfo(h, false)).toMatchObject({ ip: null, userAgent: 'curl/8' });
    expect(requestInfo(headers({ 'x-forwarded-for': '[2001:db8::1]' }), true).ip).toBe('2001:db8::1');
    expect(requestInfo(headers({ 'x-forwarded-for': 'evil.example, 10.0.0.1' }), true).ip).toBeNull();
    expect(requestInfo(headers({}), true)).toMatchObject({ ip: null, userAgent: null });
  });

  it('reads LIFEBOAT_TRUST_PROXY', () => {
    expect(trustProxy({})).toBe(false);
    expect(trustProxy({ LIFEBOAT_TRUST_PROXY: '1' })).toBe(true);
    expect(trustProxy({ LIFEBOAT_TRUST_PROXY: 'true' })).toBe(true);
    expect(trustProxy({ LIFEBOAT_TRUST_PROXY: '0' })).toBe(false);
  });
});
