import dns from 'node:dns';
import ipaddr from 'ipaddr.js';

/**
 * The SSRF guard of every notification sent (webhook, Slack, SMTP). A channel names a host; the sender resolves it
 * here, once, refuses it unless every address it resolves to is public (or inside one of the channel's admin-set
 * `allowCidrs`), and then connects to that checked address itself: no second lookup a DNS answer could change
 * between the check and the connection.
 *
 * "Public" is ipaddr.js's `unicast` range, and for IPv6 only inside global unicast 2000::/3. That refuses, in every
 * spelling (decimal `2130706433`, hex/octal `0x7f.1`, short `127.1`: ipaddr.js and the WHATWG URL parser read them
 * all as the address they are): loopback, private (RFC 1918), link-local (169.254/16 with the cloud metadata
 * endpoints, fe80::/10), unique-local fc00::/7, unspecified 0.0.0.0/8 and ::, multicast, broadcast, carrier-grade NAT
 * 100.64/10, the reserved and documentation ranges, and IPv6 forms that embed an IPv4 address (IPv4-mapped
 * ::ffff:a.b.c.d is judged as that IPv4 address; NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32 and the
 * deprecated IPv4-compatible ::a.b.c.d are refused outright).
 */

export class AddressRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressRefused';
  }
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number];

/** An IPv4-mapped IPv6 address as the IPv4 address it is; anything else unchanged. */
function normalized(addr: Address): Address {
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) return (addr as ipaddr.IPv6).toIPv4Address();
  return addr;
}

/** Why `addr` is not a public address (ipaddr.js's range name), or null when it is. */
export function nonPublicRange(raw: Address): string | null {
  const addr = normalized(raw);
  const range = addr.range();
  if (range !== 'unicast') return range;
  if (addr.kind() === 'ipv6' && !(addr as ipaddr.IPv6).match(GLOBAL_UNICAST_V6)) return 'not global unicast';
  return null;
}

/** A parsed allow-list: CIDRs as given by an admin (`10.1.2.0/24`, `fd00::/64`, a bare address = /32 or /128). */
export type AllowList = ReadonlyArray<[Address, number]>;

/** Parses one allow-list entry into its canonical `address/prefix` text; throws a readable error. */
export function canonicalCidr(entry: string): string {
  const text = entry.trim();
  let parsed: [Address, number];
  try {
    parsed = text.includes('/') ? ipaddr.parseCIDR(text) : [ipaddr.parse(text), ipaddr.parse(text).kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new Error(`"${text.slice(0, 60)}" is not an address or CIDR (e.g. 10.0.0.5/32, fd00::/64)`);
  }
  const [addr, bits] = parsed;
  // A prefix this short is not an exception but the guard turned off: /0 would allow every address there is.
  const min = addr.kind() === 'ipv4' ? 8 : 16;
  if (bits < min) throw new Error(`"${text.slice(0, 60)}": a prefix shorter than /${min} would allow far too much; name the receiver's network`);
  // The network address, so `10.1.2.3/24` is stored as the range it means.
  const network = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`) : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}

export function parseAllowList(cidrs: readonly string[]): AllowList {
  return cidrs.map((c) => ipaddr.parseCIDR(c) as [Address, number]);
}

function allowed(addr: Address, allow: AllowList): boolean {
  const a = normalized(addr);
  return allow.some(([net, bits]) => {
    const n = normalized(net);
    // An IPv4 allow-list entry also covers that address written as ::ffff:a.b.c.d (normalised above).
    if (n.kind() !== a.kind()) return false;
    const prefix = net.kind() === 'ipv6' && n.kind() === 'ipv4' ? bits - 96 : bits;
    return a.match([n, prefix] as [Address, number]);
  });
}

/** The refusal of one address, or null when it may be contacted (public, or allow-listed). */
export function refusalOf(address: string, allow: AllowList): string | null {
  let addr: Address;
  try {
    addr = ipaddr.parse(address);
  } catch {
    return `${address} is not an address`;
  }
  if (allowed(addr, allow)) return null;
  const range = nonPublicRange(addr);
  return range === null ? null : `${normalized(addr).toString()} is not a public address (${range}) and not in the channel's allowCidrs`;
}

/** A host as a URL or an SMTP setting gives it: an address literal in any spelling, or a DNS name. */
export type HostLiteral = { kind: 'ip'; address: string; family: 4 | 6 } | { kind: 'name'; name: string };

const DNS_NAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?$/i;

/** Reads a host: `[::1]` or `::1`, `127.0.0.1`, `2130706433`, `0x7f.1` … are literals; anything else must be a DNS name. */
export function parseHost(host: string): HostLiteral {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (ipaddr.isValid(bare)) {
    const addr = normalized(ipaddr.parse(bare));
    return { kind: 'ip', address: addr.toString(), family: addr.kind() === 'ipv4' ? 4 : 6 };
  }
  if (!DNS_NAME.test(bare)) throw new AddressRefused(`"${bare.slice(0, 80)}" is neither an address nor a host name`);
  // A name made only of digits and dots would be read as an address by some resolvers (inet_aton): refuse the doubt.
  if (/^[0-9.]+$/.test(bare)) throw new AddressRefused(`"${bare.slice(0, 80)}" looks like an address but is not one`);
  return { kind: 'name', name: bare.replace(/\.$/, '').toLowerCase() };
}

export interface ResolvedTarget {
  /** The checked address to connect to. */
  address: string;
  family: 4 | 6;
  /** The name for TLS (SNI and certificate check) and the Host header; null for an address literal. */
  servername: string | null;
}

export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

const systemLookup: Lookup = (host) => dns.promises.lookup(host, { all: true, verbatim: true });

/**
 * Resolves `host` once and checks every address it resolves to: one refused address refuses the host (a name that
 * resolves to a public and a private address is not trusted with either). Returns the first address to connect to.
 * Throws AddressRefused (never retried) for a refusal, and the resolver's error for a name that does not resolve.
 */
export async function resolveSafely(host: string, allow: AllowList, lookup: Lookup = systemLookup): Promise<ResolvedTarget> {
  const parsed = parseHost(host);
  if (parsed.kind === 'ip') {
    const refusal = refusalOf(parsed.address, allow);
    if (refusal) throw new AddressRefused(`refused to contact ${refusal}`);
    return { address: parsed.address, family: parsed.family, servername: null };
  }
  const addresses = await lookup(parsed.name);
  if (addresses.length === 0) throw new Error(`${parsed.name} does not resolve`);
  for (const a of addresses) {
    const refusal = refusalOf(a.address, allow);
    if (refusal) throw new AddressRefused(`refused to contact ${parsed.name}: it resolves to ${refusal}`);
  }
  const first = normalized(ipaddr.parse(addresses[0]!.address));
  return { address: first.toString(), family: first.kind() === 'ipv4' ? 4 : 6, servername: parsed.name };
}
