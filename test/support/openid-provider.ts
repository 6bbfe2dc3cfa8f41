import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors, type ClientMetadata } from 'oidc-provider';

/** A machine client of the partner's IdP and the claims the IdP puts in its access tokens. */
export interface IdpClient {
  id: string;
  claims: Record<string, unknown>;
}

/**
 * People of the partner who sign in at the IdP (to the gateway's console): the gateway's client
 * registration (authorization code flow, PKCE, client_secret_basic) and each person's claims by
 * login name. Any password is accepted at the IdP's own (development) login page.
 */
export interface IdpPeople {
  clientId: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  accounts: Record<string, Record<string, unknown>>;
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
  /** The secret of a client (for the partner's registration at the gateway). */
  secretOf(clientId: string): string;
  /** Sign-ins completed at this IdP (its `end_session` count is `signOuts`). */
  signOuts(): number;
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
  /** A browser session at the IdP is also found by its uid (people signing in). */
  private static readonly uids = new Map<string, string>();
  constructor(private readonly model: string) {}
  private key(id: string): string {
    return `${this.model}:${id}`;
  }
  async upsert(id: string, payload: Record<string, unknown>): Promise<void> {
    MapAdapter.items.set(this.key(id), { payload });
    if (typeof payload.uid === 'string') MapAdapter.uids.set(`${this.model}:${payload.uid}`, id);
  }
  async find(id: string): Promise<Record<string, unknown> | undefined> {
    const item = MapAdapter.items.get(this.key(id));
    return item && { ...item.payload, ...(item.consumed ? { consumed: true } : {}) };
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    const id = MapAdapter.uids.get(`${this.model}:${uid}`);
    return id === undefined ? undefined : this.find(id);
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
  /** Its people signing in to the console (authorization code flow). */
  people?: IdpPeople;
}): Promise<OpenIdProvider> {
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  let fetches = 0;
  let signOuts = 0;
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/jwks')) fetches += 1;
    if (req.method === 'POST' && req.url?.startsWith('/session/end/confirm')) signOuts += 1;
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const people = options.people;
  const secrets = new Map(
    [...options.clients.map((client) => client.id), ...(people ? [people.clientId] : [])].map((id) => [
      id,
      `secret-${id}-${issuer}`,
    ]),
  );
  // The claims a person's ID token carries (scope "profile"), besides sub.
  const personClaims = [
    ...new Set(['name', ...Object.values(people?.accounts ?? {}).flatMap((claims) => Object.keys(claims))]),
  ];
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
      clients: options.clients
        .map((client): ClientMetadata => ({
          client_id: client.id,
          client_secret: secrets.get(client.id)!,
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_basic',
        }))
        .concat(
          people
            ? [
                {
                  client_id: people.clientId,
                  client_secret: secrets.get(people.clientId)!,
                  grant_types: ['authorization_code'],
                  response_types: ['code'],
                  redirect_uris: [people.redirectUri],
                  post_logout_redirect_uris: [people.postLogoutRedirectUri],
                  token_endpoint_auth_method: 'client_secret_basic',
                },
              ]
            : [],
        ),
      // A person's claims in the ID token itself (the gateway reads the ID token, not userinfo).
      conformIdTokenClaims: false,
      claims: { openid: ['sub'], profile: personClaims },
      findAccount: (_ctx, id) => {
        const claims = people?.accounts[id];
        return claims ? { accountId: id, claims: () => ({ sub: id, ...claims }) } : undefined;
      },
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      cookies: { keys: [`cookie-key-${issuer}`] },
      ttl: { ClientCredentials: 300 },
      features: {
        // The IdP's own login and consent pages (any password): what a person clicks through.
        devInteractions: { enabled: people !== undefined },
        rpInitiatedLogout: { enabled: true },
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
    secretOf: (clientId) => secrets.get(clientId)!,
    signOuts: () => signOuts,
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
