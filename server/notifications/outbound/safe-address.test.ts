import { describe, expect, it } from 'vitest';
import { AddressRefused, canonicalCidr, parseAllowList, parseHost, refusalOf, resolveSafely, type Lookup } from './safe-address';

const none = parseAllowList([]);
const fakeDns = (answers: Record<string, string[]>): Lookup => async (host) => (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('the SSRF guard', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['2001::1', 'teredo'],
    ['::7f00:1', 'not global unicast'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusalOf(address, none)).toMatch(new RegExp(`is not a public address \\(${range}\\)`));
  });

  it('reads every spelling of an address literal as the address it is', () => {
    for (const spelling of ['2130706433', '0x7f.1', '0x7f000001', '017700000001', '127.1', '0177.0.0.1', '[::ffff:127.0.0.1]', '[::1]']) {
      const host = parseHost(spelling);
      expect(host.kind, spelling).toBe('ip');
      expect(refusalOf((host as { address: string }).address, none), spelling).toMatch(/\(loopback\)/);
    }
  });

  it('lets public addresses through, and an allow-listed private one', () => {
    expect(refusalOf('8.8.8.8', none)).toBeNull();
    expect(refusalOf('2606:4700:4700::1111', none)).toBeNull();
    const allow = parseAllowList([canonicalCidr('127.0.0.1'), canonicalCidr('10.1.2.3/24')]);
    expect(refusalOf('127.0.0.1', allow)).toBeNull();
    expect(refusalOf('::ffff:127.0.0.1', allow)).toBeNull();
    expect(refusalOf('10.1.2.200', allow)).toBeNull();
    expect(refusalOf('10.1.3.1', allow)).toMatch(/private/);
    expect(refusalOf('127.0.0.2', allow)).toMatch(/loopback/);
  });

  it('stores CIDRs canonical and refuses nonsense and ranges that allow far too much', () => {
    expect(canonicalCidr('10.1.2.3/24')).toBe('10.1.2.0/24');
    expect(canonicalCidr(' 127.0.0.1 ')).toBe('127.0.0.1/32');
    expect(canonicalCidr('fd00::1/64')).toBe('fd00::/64');
    expect(() => canonicalCidr('0.0.0.0/0')).toThrow(/prefix shorter than \/8/);
    expect(() => canonicalCidr('::/0')).toThrow(/prefix shorter than \/16/);
    expect(() => canonicalCidr('10.0.0.0/33')).toThrow(/not an address or CIDR/);
    expect(() => canonicalCidr('example.com')).toThrow(/not an address or CIDR/);
  });

  it('resolves a name once and refuses it when any address it resolves to is refused', async () => {
    await expect(resolveSafely('localhost', none, fakeDns({ localhost: ['127.0.0.1'] }))).rejects.toThrow(AddressRefused);
    await expect(resolveSafely('mixed.example', none, fakeDns({ 'mixed.example': ['93.184.215.14', '10.0.0.7'] }))).rejects.toThrow(/resolves to 10\.0\.0\.7 is not a public address \(private\)/);
    await expect(resolveSafely('rebind.example', none, fakeDns({ 'rebind.example': ['::ffff:169.254.169.254'] }))).rejects.toThrow(/169\.254\.169\.254 .*linkLocal/);
    await expect(resolveSafely('nowhere.example', none, fakeDns({}))).rejects.toThrow(/does not resolve/);
    expect(await resolveSafely('hooks.example', none, fakeDns({ 'hooks.example': ['93.184.215.14'] }))).toEqual({ address: '93.184.215.14', family: 4, servername: 'hooks.example' });
    expect(await resolveSafely('8.8.8.8', none)).toEqual({ address: '8.8.8.8', family: 4, servername: null });
  });

  it('refuses hosts that are neither an address nor a name', () => {
    expect(() => parseHost('exa mple.com')).toThrow(AddressRefused);
    expect(() => parseHost('1.2.3.4.5')).toThrow(/looks like an address/);
    expect(parseHost('Hooks.Slack.com.')).toEqual({ kind: 'name', name: 'hooks.slack.com' });
  });
});
