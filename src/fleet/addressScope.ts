/**
 * Where an IP address points: the public internet, or somewhere a node list
 * from strangers must not send the scanner (docs/design.md §7): this machine,
 * its private networks, link-local neighbours, multicast groups, or
 * addresses that are not hosts at all. Pure: addresses in, scopes out.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type AddressScope =
  | 'public'
  | 'loopback'
  /** RFC 1918, shared address space 100.64/10 (carrier-grade NAT), IPv6 unique-local and site-local. */
  | 'private'
  | 'link-local'
  | 'multicast'
  | 'unspecified'
  /** Documentation, benchmarking, protocol-assignment, discard-only and future-use ranges: no node lives there. */
  | 'reserved';

/** IPv4 ranges that are not public: [network address, prefix length, scope]. */
const IPV4_RANGES: readonly (readonly [string, number, AddressScope])[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

function ipv4Number(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

const IPV4_TABLE = IPV4_RANGES.map(([base, bits, scope]) => ({
  base: ipv4Number(base),
  size: 2 ** (32 - bits),
  scope,
}));

function ipv4Scope(value: number): AddressScope {
  for (const range of IPV4_TABLE) if (value >= range.base && value < range.base + range.size) return range.scope;
  return 'public';
}

/** The eight 16-bit groups of an IPv6 address (zone removed), or undefined when it is not one. */
export function ipv6Groups(text: string): number[] | undefined {
  const address = text.split('%')[0];
  if (!isIPv6(address)) return undefined;
  let body = address;
  const tail: number[] = [];
  const lastColon = address.lastIndexOf(':');
  const last = address.slice(lastColon + 1);
  if (isIPv4(last)) {
    // A trailing dotted quad (::ffff:1.2.3.4) is the last two groups.
    const v4 = ipv4Number(last);
    tail.push(v4 >>> 16, v4 & 0xffff);
    body = address.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const [left, right] = body.includes('::') ? body.split('::') : [body, undefined];
  const parse = (part: string | undefined): number[] =>
    part ? part.split(':').map((group) => parseInt(group, 16)) : [];
  const before = parse(left);
  const after = [...parse(right), ...tail];
  const missing = 8 - before.length - after.length;
  return [...before, ...Array.from({ length: missing }, () => 0), ...after];
}

function embeddedIPv4(high: number, low: number): number {
  return high * 65536 + low;
}

function ipv6Scope(g: number[]): AddressScope {
  const zeroUpTo = (n: number): boolean => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d) forms reach the IPv4 address.
  if (zeroUpTo(5) && (g[5] === 0xffff || g[5] === 0)) return ipv4Scope(embeddedIPv4(g[6], g[7]));
  // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address; its local-use prefix 64:ff9b:1::/48 is private.
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0))
    return ipv4Scope(embeddedIPv4(g[6], g[7]));
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return 'private';
  // 6to4 (2002::/16) carries the IPv4 address in groups 1 and 2.
  if (g[0] === 0x2002) return ipv4Scope(embeddedIPv4(g[1], g[2]));
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'reserved';
  if (g[0] === 0x0100 && g.slice(1, 4).every((x) => x === 0)) return 'reserved';
  if ((g[0] & 0xfe00) === 0xfc00) return 'private';
  if ((g[0] & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0] & 0xffc0) === 0xfec0) return 'private';
  if ((g[0] & 0xff00) === 0xff00) return 'multicast';
  return 'public';
}

/** The scope of an IP address literal, or undefined when the text is not one (a hostname). */
export function addressScope(address: string): AddressScope | undefined {
  if (isIPv4(address)) return ipv4Scope(ipv4Number(address));
  const groups = ipv6Groups(address);
  return groups ? ipv6Scope(groups) : undefined;
}

export type Screened =
  | { ok: true; address: string }
  | { ok: false; scope: Exclude<AddressScope, 'public'> | 'unresolved' };

/**
 * Decides on a node-list host from the addresses it resolved to: it is kept
 * only when every address is public (one private address is enough for a
 * name to point inward), and then the first address is the one to connect to.
 */
export function screenAddresses(addresses: readonly string[]): Screened {
  if (addresses.length === 0) return { ok: false, scope: 'unresolved' };
  for (const address of addresses) {
    const scope = addressScope(address);
    if (scope === undefined) return { ok: false, scope: 'unresolved' };
    if (scope !== 'public') return { ok: false, scope };
  }
  return { ok: true, address: addresses[0] };
}
