import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors } from 'oidc-provider';

/** A machine client of the partner's IdP and the claims the IdP puts in its access tokens. */
export interface IdpClient {
  id: string;
  claims: Record<string, unknown>;
}

/**
 * A partner's identity provider, for real: `oidc-provider` (an OpenID-certified implementation)
 * on 127.0.0.1 with a random port, issuing JWT access tokens by the client-credentials grant with
 * a resource indicator (RFC 8707). Its keys are configuration, as at any IdP: `rotate()` restarts
 * it with a new key set on the same issuer and port, the way an operator rolls an IdP's keys.
 */
export interface OpenIdProvider {
  issuer: string;
  /** From the IdP's own discovery document, as an integrator would copy it. */
  jwksUri: string;
  /** Requests the gateway (or anyone) made for the JWKS. */
  jwksFetches(): number;
  /** A new signing key; `keep` earlier kids stay published (for verification only). */
  rotate(kid: string, keep?: string[]): Promise<void>;
  /** An access token for this client, for `resource` (the gateway's audience by default). */
  token(clientId: string, resource?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * oidc-provider's storage interface over a Map. Its built-in store does the same but warns that
 * it is for development only; an IdP that issues JWT access tokens keeps next to nothing anyway.
 */
class MapAdapter {
  private static readonly items = new Map<string, { payload: Record<string, unknown>; consumed?: boolean }>();
  constructor(private readonly model: string) {}
  private key(id: string): string {
    return `${this.model}:${id}`;
  }
  async upsert(id: string, payload: Record<string, unknown>): Promise<void> {
    MapAdapter.items.set(this.key(id), { payload });
  }
  async find(id: string): Promise<Record<string, unknown> | undefined> {
    const item = MapAdapter.items.get(this.key(id));
    return item && { ...item.payload, ...(item.consumed ? { consumed: true } : {}) };
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async consume(id: string): Promise<void> {
    const item = MapAdapter.items.get(this.key(id));
    if (item) item.consumed = true;
  }
  async destroy(id: string): Promise<void> {
    MapAdapter.items.delete(this.key(id));
  }
  async revokeByGrantId(): Promise<void> {}
}

export async function startOpenIdProvider(options: {
  audience: string;
  clients: IdpClient[];
  firstKid: string;
  /** Other APIs this IdP issues tokens for (a token for one of them must not open the gateway). */
  otherResources?: string[];
}): Promise<OpenIdProvider> {
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/jwks')) fetches += 1;
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const secrets = new Map(options.clients.map((client) => [client.id, `secret-${client.id}-${issuer}`]));
  const claimsOf = new Map(options.clients.map((client) => [client.id, client.claims]));
  const resources = new Set([options.audience, ...(options.otherResources ?? [])]);
  const keys = new Map<string, JWK>();

  async function start(signingKid: string, published: string[]): Promise<void> {
    if (!keys.has(signingKid)) {
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      keys.set(signingKid, { ...(await exportJWK(privateKey)), kid: signingKid, alg: 'ES256', use: 'sig' });
    }
    // oidc-provider signs with the first key of the set and publishes the public half of all.
    const jwks = { keys: [signingKid, ...published].map((kid) => keys.get(kid)!) };
    const provider = new Provider(issuer, {
      adapter: MapAdapter,
      jwks,
      clients: options.clients.map((client) => ({
        client_id: client.id,
        client_secret: secrets.get(client.id)!,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      cookies: { keys: [`cookie-key-${issuer}`] },
      ttl: { ClientCredentials: 300 },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          getResourceServerInfo: (_ctx, resource) => {
            if (!resources.has(resource)) throw new errors.InvalidTarget();
            return {
              scope: 'api',
              audience: resource,
              accessTokenTTL: 300,
              accessTokenFormat: 'jwt',
              jwt: { sign: { alg: 'ES256' } },
            };
          },
        },
      },
      // Where the IdP puts roles and the rest is the IdP's business; the gateway reads what the
      // partner registered (its claim mapping).
      extraTokenClaims: (_ctx, token) => claimsOf.get((token as { clientId?: string }).clientId ?? '') ?? {},
    });
    const callback = provider.callback();
    handle = (req, res) => void callback(req, res);
  }

  await start(options.firstKid, []);
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
  return {
    issuer,
    jwksUri: discovery.jwks_uri,
    jwksFetches: () => fetches,
    rotate: (kid, keep = []) => start(kid, keep),
    async token(clientId, resource = options.audience) {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${secrets.get(clientId)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope: 'api' }),
      });
      const body = (await response.json()) as { access_token?: string; error?: string };
      if (!response.ok || !body.access_token)
        throw new Error(`the IdP issued no token: ${body.error ?? response.status}`);
      return body.access_token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The gateway keeps its JWKS connection alive; do not wait for it to time out.
        server.closeAllConnections();
      }),
  };
}
