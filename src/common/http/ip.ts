import { isIPv4, isIPv6 } from 'node:net';

/** The four bytes of a dotted IPv4 address, or null. */
export function ipv4Bytes(ip: string): number[] | null {
  return isIPv4(ip) ? ip.split('.').map(Number) : null;
}

/**
 * The sixteen bytes of an IPv6 address in any textual form (`::` shorthand, an embedded dotted
 * IPv4 tail, a `%zone`), or null when it is not one.
 */
export function ipv6Bytes(ip: string): number[] | null {
  const bare = ip.split('%')[0];
  if (!isIPv6(bare)) return null;
  const words = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          const v4 = ipv4Bytes(group);
          return v4 ? [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]] : [Number.parseInt(group, 16)];
        });
  const [head, tail] = bare.split('::');
  const left = words(head);
  const right = tail === undefined ? [] : words(tail);
  const all = tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((word) => [word >> 8, word & 0xff]);
}
