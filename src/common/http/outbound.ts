import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import type { AppConfig } from '../../config/config.js';
import { ipv4Bytes, ipv6Bytes } from './ip.js';

/**
 * The gateway calls out to addresses partners register (a JWKS URL, a webhook URL). Whoever can
 * register one must not be able to aim the gateway at itself, the database next to it, a cloud
 * metadata service or anything else on the operator's internal network (server-side request
 * forgery). So an outbound URL must use https in production and reach only public addresses,
 * unless the operator allows private ones by configuration. It is checked when registered and
 * again on every connection: DNS may answer differently later, so the check sits in the DNS
 * lookup of the connection itself and the address checked is the address connected to.
 */
export interface OutboundPolicy {
  /** Production: plain http could be read and changed on the way. */
  httpsOnly: boolean;
  /** Private, loopback and link-local addresses allowed for every host (development, tests). */
  allowPrivate: boolean;
  /** Host names (lower case) that may be private, e.g. an identity provider on the operator's network. */
  privateHosts: string[];
}

/** The policy the configuration sets: https only in production, private addresses as allowed. */
export function outboundPolicyOf(config: AppConfig): OutboundPolicy {
  return {
    httpsOnly: config.nodeEnv === 'production',
    allowPrivate: config.outbound.allowPrivate,
    privateHosts: config.outbound.privateHosts,
  };
}

/** Refused by the outbound policy; `reason` says why in words, without anything personal. */
export class OutboundRefused extends Error {
  override readonly name = 'OutboundRefused';
  constructor(readonly reason: string) {
    super(`outbound request refused: ${reason}`);
  }
}

type Range = [prefix: number[], bits: number, label: string];

const v4 = (text: string, bits: number, label: string): Range => [ipv4Bytes(text)!, bits, label];
const v6 = (text: string, bits: number, label: string): Range => [ipv6Bytes(text)!, bits, label];

/** IPv4 ranges that are not the public internet (RFC 6890 and friends). */
const IPV4_NON_PUBLIC: Range[] = [
  v4('0.0.0.0', 8, 'a "this network" address'),
  v4('10.0.0.0', 8, 'a private address'),
  v4('100.64.0.0', 10, 'a carrier-grade NAT address'),
  v4('127.0.0.0', 8, 'a loopback address'),
  v4('169.254.0.0', 16, 'a link-local address'),
  v4('172.16.0.0', 12, 'a private address'),
  v4('192.0.0.0', 24, 'a special-purpose address'),
  v4('192.0.2.0', 24, 'a documentation address'),
  v4('192.88.99.0', 24, 'a 6to4 relay address'),
  v4('192.168.0.0', 16, 'a private address'),
  v4('198.18.0.0', 15, 'a benchmarking address'),
  v4('198.51.100.0', 24, 'a documentation address'),
  v4('203.0.113.0', 24, 'a documentation address'),
  v4('224.0.0.0', 4, 'a multicast address'),
  v4('240.0.0.0', 4, 'a reserved address'),
];

const IPV6_NON_PUBLIC: Range[] = [
  v6('::1', 128, 'a loopback address'),
  v6('::', 96, 'an unspecified or IPv4-compatible address'),
  v6('64:ff9b:1::', 48, 'a local NAT64 address'),
  v6('100::', 64, 'a discard address'),
  v6('2001:db8::', 32, 'a documentation address'),
  v6('fc00::', 7, 'a unique-local (private) address'),
  v6('fe80::', 10, 'a link-local address'),
  v6('fec0::', 10, 'a site-local address'),
  v6('ff00::', 8, 'a multicast address'),
];

function inRange(bytes: number[], [prefix, bits]: Range): boolean {
  for (let bit = 0; bit < bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((bytes[bit >> 3] & mask) !== (prefix[bit >> 3] & mask)) return false;
  }
  return true;
}

const startsWith = (bytes: number[], prefix: number[]) => prefix.every((b, i) => bytes[i] === b);

/** Why an IP address is not a public one (e.g. "a loopback address"), or null when it is public. */
export function nonPublicAddress(ip: string): string | null {
  const four = ipv4Bytes(ip);
  if (four) return IPV4_NON_PUBLIC.find((range) => inRange(four, range))?.[2] ?? null;
  const six = ipv6Bytes(ip.replace(/^\[|\]$/g, ''));
  if (!six) return 'not an IP address';
  // Forms that carry an IPv4 address inside: judge the IPv4 address.
  const embedded = startsWith(six, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]) // ::ffff:a.b.c.d
    ? six.slice(12)
    : startsWith(six, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0]) // 64:ff9b::a.b.c.d (NAT64)
      ? six.slice(12)
      : startsWith(six, [0x20, 0x02]) // 2002:abcd:efgh::/48 (6to4)
        ? six.slice(2, 6)
        : null;
  if (embedded) return nonPublicAddress(embedded.join('.'));
  return IPV6_NON_PUBLIC.find((range) => inRange(six, range))?.[2] ?? null;
}

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

function isIpLiteral(hostname: string): boolean {
  return ipv4Bytes(hostname) !== null || ipv6Bytes(hostname.replace(/^\[|\]$/g, '')) !== null;
}

function privateAllowed(policy: OutboundPolicy, hostname: string): boolean {
  return policy.allowPrivate || policy.privateHosts.includes(hostname.toLowerCase());
}

/** What can be judged from the URL alone: scheme, credentials, an IP literal as host. */
function staticRefusal(url: URL, policy: OutboundPolicy): string | null {
  if (url.protocol !== 'https:' && (policy.httpsOnly || url.protocol !== 'http:')) {
    return policy.httpsOnly ? 'it must use https' : 'it must use https or http';
  }
  // They would be stored and shown with the partner's registration.
  if (url.username || url.password) return 'it must not carry credentials';
  if (isIpLiteral(url.hostname) && !privateAllowed(policy, url.hostname)) {
    const reason = nonPublicAddress(url.hostname);
    if (reason) return `its host is ${reason}`;
  }
  return null;
}

/**
 * The registration check: null when the URL may be called, else why not. A host name is resolved
 * now and every address it resolves to must be public; a name that does not resolve is refused
 * (it could not be checked).
 */
export async function outboundUrlRefusal(
  value: string,
  policy: OutboundPolicy,
  resolve: Resolver = systemResolver,
): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'it is not a URL';
  }
  const refusal = staticRefusal(url, policy);
  if (refusal || isIpLiteral(url.hostname) || privateAllowed(policy, url.hostname)) return refusal;
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(url.hostname);
  } catch {
    return 'its host name does not resolve';
  }
  if (addresses.length === 0) return 'its host name does not resolve';
  for (const { address } of addresses) {
    const reason = nonPublicAddress(address);
    if (reason) return `its host name resolves to ${reason}`;
  }
  return null;
}

/**
 * A DNS lookup for one outbound connection that refuses a name resolving to any non-public
 * address: the connection then goes to an address that passed the check, never to one looked
 * up separately.
 */
/** Node calls a lookup with `all` (an address list back) or without (one address and family). */
type LookupCallback = (error: Error | null, address?: string | LookupAddress[], family?: number) => void;

export function guardedLookup(policy: OutboundPolicy, resolve: Resolver = systemResolver): LookupFunction {
  return ((hostname: string, options: { family?: number | string; all?: boolean }, callback: LookupCallback) => {
    resolve(hostname).then(
      (found) => {
        const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 ? 6 : 0;
        const addresses = family ? found.filter((a) => a.family === family) : found;
        if (!privateAllowed(policy, hostname)) {
          for (const { address } of found) {
            const reason = nonPublicAddress(address);
            if (reason) return callback(new OutboundRefused(`the host name resolves to ${reason}`));
          }
        }
        if (addresses.length === 0) {
          return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }));
        }
        if (options.all) return callback(null, addresses);
        callback(null, addresses[0].address, addresses[0].family);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
  }) as LookupFunction;
}

export interface OutboundInit {
  method?: string;
  headers?: Record<string, string> | Headers;
  body?: string;
  signal?: AbortSignal;
}

/** Largest response body read from a partner (a key set, a webhook's answer). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * `fetch` for partner-registered URLs, over node:http(s) so the guarded lookup decides where it
 * connects. Never follows redirects (a redirect would be a second, unchecked URL).
 */
export function outboundFetch(
  target: string | URL,
  init: OutboundInit,
  policy: OutboundPolicy,
  resolve: Resolver = systemResolver,
): Promise<Response> {
  const url = new URL(target);
  const refusal = staticRefusal(url, policy);
  if (refusal) return Promise.reject(new OutboundRefused(refusal));
  const headers =
    init.headers instanceof Headers ? Object.fromEntries(init.headers.entries()) : { ...(init.headers ?? {}) };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Response>((resolveResponse, reject) => {
    const outgoing = request(
      url,
      {
        method: init.method ?? 'GET',
        headers,
        signal: init.signal,
        lookup: guardedLookup(policy, resolve),
        // A connection of its own, never one opened by anything else to the same host.
        agent: false,
      },
      (incoming: IncomingMessage) => {
        let received = 0;
        incoming.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) incoming.destroy(new Error('response too large'));
        });
        const status = incoming.statusCode ?? 502;
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
            responseHeaders.append(name, item);
          }
        }
        const bodyless = [101, 103, 204, 205, 304].includes(status) || init.method === 'HEAD';
        if (bodyless) incoming.resume();
        resolveResponse(
          new Response(bodyless ? null : (Readable.toWeb(incoming) as never), {
            status: status < 200 ? 502 : status,
            headers: responseHeaders,
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(init.body);
  });
}
