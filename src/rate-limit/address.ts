/** An IP address as a number, so that subnets are a shift and a compare. */
export interface Address {
  family: 4 | 6;
  value: bigint;
}

export interface Subnet {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

const bits = { 4: 32, 6: 128 } as const;
const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const mappedIpv4 = 0xffffn << 32n;

function parseIpv4(text: string): bigint | undefined {
  const parts = ipv4.exec(text)?.slice(1).map(Number);
  if (!parts || parts.some((part) => part > 255)) return undefined;
  return parts.reduce((value, part) => (value << 8n) | BigInt(part), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = halves.map((half) => (half === "" ? [] : half.split(":")));
  const last = groups[groups.length - 1] ?? [];
  // An embedded IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
  const tail = last[last.length - 1];
  if (tail?.includes(".")) {
    const v4 = parseIpv4(tail);
    if (v4 === undefined) return undefined;
    last.splice(-1, 1, (v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
  }
  const head = groups[0] ?? [];
  const given = head.length + (groups.length === 2 ? last.length : 0);
  if (groups.length === 1 ? given !== 8 : given > 7) return undefined;

  const all = groups.length === 2 ? [...head, ...Array(8 - given).fill("0"), ...last] : head;
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return value;
}

/**
 * Reads an address as peers and proxies write it: plain, bracketed, with a zone or, for IPv4,
 * with a port. IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
 */
export function parseAddress(raw: string): Address | undefined {
  let text = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed?.[1]) text = bracketed[1];
  text = text.replace(/%.*$/, "");
  const withPort = /^([\d.]+):\d+$/.exec(text);
  if (withPort?.[1]) text = withPort[1];

  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  if (!text.includes(":")) return undefined;
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & ~mappedIpv4 };
  return { family: 6, value: v6 };
}

/** "10.0.0.0/8", "fd00::/8" or a single address (a subnet of one). */
export function parseSubnet(raw: string): Subnet | undefined {
  const [text = "", prefixText, extra] = raw.trim().split("/");
  const address = parseAddress(text);
  if (!address || extra !== undefined) return undefined;
  const width = bits[address.family];
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (!/^\d*$/.test(prefixText ?? "") || !Number.isInteger(prefix) || prefix > width) {
    return undefined;
  }
  const shift = BigInt(width - prefix);
  return { family: address.family, base: (address.value >> shift) << shift, prefix };
}

export function inSubnet(address: Address, subnet: Subnet): boolean {
  if (address.family !== subnet.family) return false;
  const shift = BigInt(bits[subnet.family] - subnet.prefix);
  return address.value >> shift === subnet.base >> shift;
}

/**
 * The identity a rate limit counts. An IPv6 host usually holds a whole /64, so counting single
 * addresses would let one client multiply its allowance.
 */
export function clientKey(address: Address): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => (address.value >> shift) & 0xffn).join(".");
  }
  return `${(address.value >> 64n).toString(16)}::/64`;
}
