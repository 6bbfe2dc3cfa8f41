import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import {
  guardedLookup,
  nonPublicAddress,
  outboundFetch,
  OutboundRefused,
  outboundUrlRefusal,
  type OutboundPolicy,
  type Resolver,
} from './outbound.js';

const strict: OutboundPolicy = { httpsOnly: false, allowPrivate: false, privateHosts: [] };
const production: OutboundPolicy = { ...strict, httpsOnly: true };
const resolvesTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('nonPublicAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'this network'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:a00:1]', 'private'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:c0a8:101::1', 'private'],
  ])('%s is %s', (address, kind) => {
    expect(nonPublicAddress(address)).toContain(kind);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (address) => {
      expect(nonPublicAddress(address)).toBeNull();
    },
  );
});

describe('outboundUrlRefusal (at registration)', () => {
  it('refuses loopback, link-local and private hosts, written as addresses or as names resolving to them', async () => {
    expect(await outboundUrlRefusal('http://127.0.0.1:8080/jwks', strict)).toMatch(/loopback/);
    expect(await outboundUrlRefusal('http://0x7f.1/jwks', strict)).toMatch(/loopback/);
    expect(await outboundUrlRefusal('http://[::1]/jwks', strict)).toMatch(/loopback/);
    expect(await outboundUrlRefusal('http://169.254.169.254/latest/meta-data', strict)).toMatch(/link-local/);
    expect(await outboundUrlRefusal('https://idp.example/jwks', strict, resolvesTo('10.0.0.7'))).toMatch(
      /resolves to a private/,
    );
    // One private answer among public ones is enough to refuse.
    expect(await outboundUrlRefusal('https://idp.example/jwks', strict, resolvesTo('8.8.8.8', 'fd00::1'))).toMatch(
      /unique-local/,
    );
  });

  it('refuses a name that does not resolve, credentials in the URL, and other schemes', async () => {
    const nowhere: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await outboundUrlRefusal('https://nowhere.example/jwks', strict, nowhere)).toMatch(/does not resolve/);
    expect(await outboundUrlRefusal('https://user:secret@8.8.8.8/hook', strict)).toMatch(/credentials/);
    expect(await outboundUrlRefusal('ftp://8.8.8.8/jwks', strict)).toMatch(/https or http/);
  });

  it('takes https only in production', async () => {
    expect(await outboundUrlRefusal('http://8.8.8.8/jwks', production)).toMatch(/https/);
    expect(await outboundUrlRefusal('https://8.8.8.8/jwks', production)).toBeNull();
    expect(await outboundUrlRefusal('https://idp.example/jwks', production, resolvesTo('8.8.4.4'))).toBeNull();
  });

  it('lets the operator allow private addresses, for every host or for named hosts only', async () => {
    expect(await outboundUrlRefusal('http://127.0.0.1/jwks', { ...strict, allowPrivate: true })).toBeNull();
    const named = { ...strict, privateHosts: ['keycloak.internal'] };
    expect(await outboundUrlRefusal('https://Keycloak.Internal/jwks', named, resolvesTo('10.0.0.7'))).toBeNull();
    expect(await outboundUrlRefusal('https://other.internal/jwks', named, resolvesTo('10.0.0.7'))).toMatch(/private/);
    // Allowing private addresses never lifts https in production.
    expect(await outboundUrlRefusal('http://127.0.0.1/jwks', { ...production, allowPrivate: true })).toMatch(/https/);
  });
});

describe('guardedLookup (on every connection)', () => {
  const lookup = (resolver: Resolver, all: boolean, policy = strict) =>
    new Promise<{ error: unknown; result: unknown }>((resolve) =>
      (
        guardedLookup(policy, resolver) as unknown as (
          hostname: string,
          options: { all: boolean },
          callback: (error: unknown, ...result: unknown[]) => void,
        ) => void
      )('idp.example', { all }, (error, ...result) => resolve({ error, result })),
    );

  it('hands the connection only addresses that passed the check', async () => {
    expect((await lookup(resolvesTo('8.8.8.8'), false)).result).toEqual(['8.8.8.8', 4]);
    expect((await lookup(resolvesTo('8.8.8.8', '2606:4700::1'), true)).result).toEqual([
      [
        { address: '8.8.8.8', family: 4 },
        { address: '2606:4700::1', family: 6 },
      ],
    ]);
    const refused = await lookup(resolvesTo('8.8.8.8', '192.168.0.10'), true);
    expect(refused.error).toBeInstanceOf(OutboundRefused);
  });
});

describe('outboundFetch', () => {
  let server: Server;
  let hits = 0;
  let port = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits += 1;
      res.setHeader('content-type', 'application/json');
      res.end('{"keys":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => new Promise((resolve) => server.close(resolve)));

  it('never connects to a loopback address it is not allowed to reach', async () => {
    const before = hits;
    await expect(outboundFetch(`http://127.0.0.1:${port}/jwks`, {}, strict)).rejects.toBeInstanceOf(OutboundRefused);
    await expect(outboundFetch(`http://localhost:${port}/jwks`, {}, strict)).rejects.toBeInstanceOf(OutboundRefused);
    expect(hits).toBe(before);
  });

  it('checks the address it connects to, not the one seen at registration (DNS rebinding)', async () => {
    let answers = 0;
    // Public when the URL is registered, loopback when the gateway calls it.
    const rebinding: Resolver = async () => [
      answers++ === 0 ? { address: '8.8.8.8', family: 4 } : { address: '127.0.0.1', family: 4 },
    ];
    expect(await outboundUrlRefusal(`http://rebind.example:${port}/jwks`, strict, rebinding)).toBeNull();
    const before = hits;
    await expect(outboundFetch(`http://rebind.example:${port}/jwks`, {}, strict, rebinding)).rejects.toBeInstanceOf(
      OutboundRefused,
    );
    expect(hits).toBe(before);
  });

  it('reaches an allowed host and reads its answer', async () => {
    const response = await outboundFetch(
      `http://localhost:${port}/jwks`,
      {},
      { ...strict, privateHosts: ['localhost'] },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ keys: [] });
  });
});
