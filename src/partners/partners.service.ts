import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { AccessService } from '../access/access.service.js';
import type { AccessContext } from '../access/access-context.js';
import { importJWK } from 'jose';
import { ProblemException } from '../common/problem/problem.js';
import { outboundPolicyOf, outboundUrlRefusal } from '../common/http/outbound.js';
import { decodeCursor, toPage, type Page } from '../common/http/pagination.js';
import { ALLOWED_ALGORITHMS } from '../common/jose-algorithms.js';
import {
  type ClaimMappingDto,
  type CreatePartnerDto,
  type OidcRegistrationDto,
  PartnerView,
  type UpdatePartnerDto,
} from './dto/partner.dto.js';
import type { ClaimMapping } from './claim-mapping.js';
import type { Partner, PrivacyContact, PublicJwk, PublicJwkSet } from './partner.entity.js';
import { assertableBy } from './partner-trust.js';
import { PartnerRegistry } from './partner-registry.service.js';
import { PartnersRepository } from './partners.repository.js';
import { PolicyService } from '../policies/policy.service.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** IdPs emit many groups; a partner maps the few that mean something here. */
const MAX_MAPPED_NAMES = 200;

/** Registers partner organisations and their signing keys; the gateway administrators' desk. */
@Injectable()
export class PartnersService {
  constructor(
    private readonly partners: PartnersRepository,
    private readonly access: AccessService,
    private readonly policy: PolicyService,
    private readonly registry: PartnerRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  async register(access: AccessContext, input: CreatePartnerDto): Promise<PartnerView> {
    this.requireExactlyOneKeySource(input.jwks, input.jwksUri, false);
    this.policy.requireKnownProgramme(input.programme);
    await this.requireCallableUrls(input);
    await this.requireCallableIdp(input.oidc, input.issuer);
    const allowedRoles = input.allowedRoles ?? null;
    const allowedProfessions = input.allowedProfessions ?? null;
    this.requireNarrowing({ type: input.type, operator: false, allowedRoles, allowedProfessions });
    const claimMapping = this.checkedClaimMapping(input.claimMapping, {
      type: input.type,
      operator: false,
      allowedRoles,
      allowedProfessions,
    });
    const jwks = input.jwks ? await this.checkedKeySet(input.jwks) : null;
    if (await this.partners.findById(input.id))
      throw new ProblemException('conflict', `A partner with id "${input.id}" already exists`);
    if (await this.partners.findByIssuer(input.issuer))
      throw new ProblemException('conflict', 'Another partner already uses this issuer');
    const view = await this.access.run(access, async (tx) => {
      const decision = await tx.require({
        subject: { type: 'Partner', id: input.id },
        action: 'create',
        facts: { visible: true },
      });
      const saved = await this.partners.insert(tx.manager, {
        id: input.id,
        name: input.name,
        type: input.type,
        municipalities: input.municipalities,
        issuer: input.issuer,
        jwks,
        jwksUri: input.jwksUri ?? null,
        webhookUrl: input.webhookUrl ?? null,
        programme: input.programme ?? null,
        allowedRoles,
        allowedProfessions,
        claimMapping,
        ...this.oidcColumns(input.oidc),
        privacyContact: input.privacyContact ?? null,
        status: 'active',
        operator: false,
      } as Partner);
      return tx.complete(this.view(saved), decision, {
        reason: 'partner registered',
        written: Object.keys(input).sort(),
      });
    });
    await this.registry.propagate();
    return view;
  }

  /** Every partner's display name by id (the client's report names organisations). */
  async names(): Promise<Map<string, string>> {
    return new Map((await this.partners.allNames()).map((p) => [p.id, p.name]));
  }

  /** Another capability's view of a partner: who it is and whether it is active (null when unknown). */
  async find(id: string): Promise<{
    id: string;
    type: string;
    status: string;
    name: string;
    webhookUrl: string | null;
    operator: boolean;
  } | null> {
    const partner = await this.partners.findById(id);
    return partner
      ? {
          id: partner.id,
          type: partner.type,
          status: partner.status,
          name: partner.name,
          webhookUrl: partner.webhookUrl,
          operator: partner.operator,
        }
      : null;
  }

  /** The organisations offered on the console's sign-in page (an IdP registered, active). */
  signInOrganisations(): Promise<{ id: string; name: string }[]> {
    return this.partners.signInOrganisations();
  }

  /** Every active partner with its controller and DPO as registered (the record of processing, art. 30(1)(a)). */
  async privacyContacts(): Promise<
    {
      partnerId: string;
      name: string;
      type: string;
      controller: PrivacyContact['controller'] | null;
      dpo: PrivacyContact['dpo'] | null;
    }[]
  > {
    return (await this.partners.all())
      .filter((p) => p.status === 'active')
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((p) => ({
        partnerId: p.id,
        name: p.name,
        type: p.type,
        controller: p.privacyContact?.controller ?? null,
        dpo: p.privacyContact?.dpo ?? null,
      }));
  }

  /** The network operator's id and type, for jobs the gateway runs on the network's behalf (null: none registered). */
  async operatorRef(): Promise<{ id: string; type: string } | null> {
    const operator = await this.partners.findOperator();
    return operator && operator.status === 'active' ? { id: operator.id, type: operator.type } : null;
  }

  /** Which of these ids are registered partners (for validating a consent's recipients). */
  existingIds(ids: string[]): Promise<Set<string>> {
    return this.partners.existingIds(ids);
  }

  /** The partner whose tokens name this issuer, for authentication (null when none is registered). */
  findByIssuer(issuer: string) {
    return this.partners.findByIssuer(issuer);
  }

  findById(id: string) {
    return this.partners.findById(id);
  }

  async get(id: string): Promise<PartnerView> {
    return this.view(await this.require(id));
  }

  async list(limit: number, cursor: string | undefined): Promise<Page<PartnerView>> {
    const after = decodeCursor(cursor, (v): v is string => typeof v === 'string');
    const rows = await this.partners.listPage(after, limit + 1);
    return toPage(
      rows,
      limit,
      (partner) => this.view(partner),
      (p) => p.id,
    );
  }

  /** Suspension, renaming and key rotation; a suspended partner's tokens are refused on the next request. */
  async update(access: AccessContext, id: string, input: UpdatePartnerDto): Promise<PartnerView> {
    const partner = await this.require(id);
    if (Object.keys(input).length === 0)
      throw new ProblemException('validation-failed', 'Nothing to change', {
        errors: [{ pointer: '', detail: 'the body names no field' }],
      });
    this.requireExactlyOneKeySource(input.jwks, input.jwksUri, true);
    this.policy.requireKnownProgramme(input.programme);
    await this.requireCallableUrls(input);
    await this.requireCallableIdp(input.oidc, partner.issuer);
    // Suspending the operator through its own API would lock the network's administration out;
    // the operator's registration is changed with its command line (npm run operator:register).
    if (partner.operator && input.status === 'suspended') {
      throw new ProblemException('unprocessable', 'The network operator cannot be suspended through the API', {
        errors: [{ pointer: '/status', detail: 'the operator is managed with npm run operator:register' }],
      });
    }
    if (input.jwks) {
      partner.jwks = await this.checkedKeySet(input.jwks);
      partner.jwksUri = null;
    }
    if (input.jwksUri) {
      partner.jwksUri = input.jwksUri;
      partner.jwks = null;
    }
    if (input.oidc !== undefined) Object.assign(partner, this.oidcColumns(input.oidc));
    if (input.status) partner.status = input.status;
    if (input.name) partner.name = input.name;
    if (input.municipalities) partner.municipalities = input.municipalities;
    if (input.webhookUrl) partner.webhookUrl = input.webhookUrl;
    if (input.programme) partner.programme = input.programme;
    if (input.privacyContact) partner.privacyContact = input.privacyContact;
    // null puts the partner back on its type's row; a list narrows it (checked below).
    if (input.allowedRoles !== undefined) partner.allowedRoles = input.allowedRoles;
    if (input.allowedProfessions !== undefined) partner.allowedProfessions = input.allowedProfessions;
    this.requireNarrowing(partner);
    // The mapping is checked as it will stand, also when only the allowance changed: a narrowed
    // partner must not keep a mapping onto a role it may no longer assert.
    partner.claimMapping = this.checkedClaimMapping(
      input.claimMapping === undefined ? partner.claimMapping : input.claimMapping,
      partner,
    );
    const view = await this.access.run(access, async (tx) => {
      const decision = await tx.require({
        subject: { type: 'Partner', id },
        action: 'update',
        facts: { visible: true },
      });
      const saved = await this.partners.save(tx.manager, partner);
      return tx.complete(this.view(saved), decision, {
        reason: 'partner registration changed',
        written: Object.keys(input).sort(),
      });
    });
    // Committed. Answer only once every replica has dropped the old registration from memory:
    // then "suspended at once" holds on all of them from the caller's next request on.
    await this.registry.propagate();
    return view;
  }

  private view(partner: Partner): PartnerView {
    return PartnerView.of(partner, assertableBy(partner, this.policy));
  }

  /**
   * A registration can only narrow what the partner's type may assert (policies/partner-trust.yaml),
   * never widen it; not even the operator's administrators widen through the API (that is a
   * reviewed change of the policy file). 400 names each value outside the row.
   */
  private requireNarrowing(partner: Pick<Partner, 'type' | 'operator' | 'allowedRoles' | 'allowedProfessions'>): void {
    const ceiling = this.policy.assertableFor(partner.type, partner.operator);
    const row = partner.operator ? "the operator's entry" : `the row of type ${partner.type}`;
    const errors = [
      ...(partner.allowedRoles ?? []).flatMap((role, i) =>
        ceiling.roles.includes(role)
          ? []
          : [
              {
                pointer: `/allowedRoles/${i}`,
                detail: this.policy.isKnownRole(role)
                  ? `${row} in policies/partner-trust.yaml does not let this partner assert "${role}"; a registration can only narrow it`
                  : 'not a role of policies/roles.yaml',
              },
            ],
      ),
      ...(partner.allowedProfessions ?? []).flatMap((profession, i) =>
        ceiling.professions.includes(profession)
          ? []
          : [
              {
                pointer: `/allowedProfessions/${i}`,
                detail: this.policy.isKnownProfession(profession)
                  ? `${row} in policies/partner-trust.yaml does not let this partner assert "${profession}"; a registration can only narrow it`
                  : 'not a profession of policies/roles.yaml',
              },
            ],
      ),
    ];
    if (errors.length > 0)
      throw new ProblemException('validation-failed', 'The partner may not assert what the registration names', {
        errors,
      });
  }

  /**
   * A claim mapping as stored: only the sources given, each map onto gateway names this partner
   * may assert (a mapping onto anything else could only ever produce refused tokens, so it is
   * refused here, where the administrator can see why). Null when nothing is mapped.
   */
  private checkedClaimMapping(
    input: ClaimMappingDto | ClaimMapping | null | undefined,
    partner: Pick<Partner, 'type' | 'operator' | 'allowedRoles' | 'allowedProfessions'>,
  ): ClaimMapping | null {
    if (!input) return null;
    const mayAssert = assertableBy(partner, this.policy);
    const errors: { pointer: string; detail: string }[] = [];
    const mapping: ClaimMapping = {};
    const kinds = [
      ['roles', 'role', mayAssert.roles, (name: string) => this.policy.isKnownRole(name)],
      ['profession', 'profession', mayAssert.professions, (name: string) => this.policy.isKnownProfession(name)],
    ] as const;
    for (const [kind, noun, allowed, known] of kinds) {
      const source = input[kind];
      if (!source) continue;
      const at = `/claimMapping/${kind}/map`;
      if (source.map !== undefined && source.map !== null) {
        const entries = Object.entries(source.map);
        if (entries.length > MAX_MAPPED_NAMES)
          errors.push({ pointer: at, detail: `at most ${MAX_MAPPED_NAMES} names can be mapped` });
        for (const [from, to] of entries) {
          const pointer = `${at}/${from.replace(/~/g, '~0').replace(/\//g, '~1')}`;
          if (from.length === 0 || from.length > 200)
            errors.push({ pointer, detail: 'an IdP name has 1 to 200 characters' });
          else if (typeof to !== 'string' || !known(to))
            errors.push({ pointer, detail: `not a ${noun} of policies/roles.yaml` });
          else if (!allowed.includes(to))
            errors.push({
              pointer,
              detail: `this partner may not assert "${to}" (policies/partner-trust.yaml and its allowed${kind === 'roles' ? 'Roles' : 'Professions'})`,
            });
        }
      }
      mapping[kind] = { path: [...source.path], ...(source.map ? { map: { ...source.map } } : {}) };
    }
    if (errors.length > 0)
      throw new ProblemException('validation-failed', 'The claim mapping is not acceptable', { errors });
    return mapping.roles || mapping.profession ? mapping : null;
  }

  private async require(id: string): Promise<Partner> {
    const partner = await this.partners.findById(id);
    if (!partner) throw new ProblemException('not-found', 'No partner with this id');
    return partner;
  }

  private requireExactlyOneKeySource(jwks: unknown, jwksUri: unknown, optional: boolean): void {
    if (jwks && jwksUri) {
      throw new ProblemException('validation-failed', 'Give either jwks or jwksUri, not both', {
        errors: [{ pointer: '/jwksUri', detail: 'jwks and jwksUri are exclusive' }],
      });
    }
    if (!optional && !jwks && !jwksUri) {
      throw new ProblemException('validation-failed', 'A partner needs its public keys', {
        errors: [{ pointer: '/jwks', detail: 'give jwks or jwksUri' }],
      });
    }
  }

  /**
   * The gateway will call these URLs: https in production, and only public addresses unless the
   * operator allows private ones (see common/http/outbound.ts). Checked again on every call.
   */
  /** The IdP's registration as stored: the client secret sealed, nothing when none is given. */
  private oidcColumns(
    oidc: OidcRegistrationDto | null | undefined,
  ): Pick<Partner, 'oidcIssuer' | 'oidcClientId' | 'oidcClientSecret'> {
    return {
      oidcIssuer: oidc?.issuer ?? null,
      oidcClientId: oidc?.clientId ?? null,
      oidcClientSecret: oidc?.clientSecret ? this.crypto.cipher.seal(oidc.clientSecret) : null,
    };
  }

  /** The gateway will read the IdP's discovery document and call its token endpoint. */
  private async requireCallableIdp(oidc: OidcRegistrationDto | null | undefined, issuer: string): Promise<void> {
    if (!oidc) return;
    const refusal = await outboundUrlRefusal(oidc.issuer ?? issuer, outboundPolicyOf(this.config));
    if (refusal)
      throw new ProblemException('validation-failed', 'A URL the gateway would call is not allowed', {
        errors: [
          {
            pointer: oidc.issuer ? '/oidc/issuer' : '/issuer',
            detail: `the gateway will not call this URL: ${refusal}`,
          },
        ],
      });
  }

  private async requireCallableUrls(input: { jwksUri?: string; webhookUrl?: string }): Promise<void> {
    const policy = outboundPolicyOf(this.config);
    const errors: { pointer: string; detail: string }[] = [];
    for (const field of ['jwksUri', 'webhookUrl'] as const) {
      const value = input[field];
      if (typeof value !== 'string') continue;
      const refusal = await outboundUrlRefusal(value, policy);
      if (refusal) errors.push({ pointer: `/${field}`, detail: `the gateway will not call this URL: ${refusal}` });
    }
    if (errors.length > 0) {
      throw new ProblemException('validation-failed', 'A URL the gateway would call is not allowed', { errors });
    }
  }

  /** Accepts only public, importable keys of an allowed algorithm, each with a unique kid. */
  private async checkedKeySet(set: { keys: PublicJwk[] }): Promise<PublicJwkSet> {
    if (set.keys.length === 0) throw this.badKey(-1, 'the key set holds no key');
    const kids = new Set<string>();
    const keys: PublicJwk[] = [];
    for (const [index, key] of set.keys.entries()) {
      if (PRIVATE_JWK_MEMBERS.some((member) => member in key))
        throw this.badKey(index, 'private or symmetric key material is refused: register public keys only');
      if (typeof key.kid !== 'string' || key.kid.length === 0 || key.kid.length > 200)
        throw this.badKey(index, 'every key needs a kid');
      if (kids.has(key.kid)) throw this.badKey(index, 'kid values must be unique');
      kids.add(key.kid);
      if (typeof key.alg !== 'string' || !(ALLOWED_ALGORITHMS as readonly string[]).includes(key.alg)) {
        throw this.badKey(index, `alg must be one of ${ALLOWED_ALGORITHMS.join(', ')}`);
      }
      try {
        await importJWK(key, key.alg);
      } catch {
        throw this.badKey(index, 'the key cannot be imported for its alg');
      }
      keys.push(key);
    }
    return { keys };
  }

  private badKey(index: number, detail: string): ProblemException {
    const pointer = index < 0 ? '/jwks/keys' : `/jwks/keys/${index}`;
    return new ProblemException('validation-failed', 'The key set is not acceptable', {
      errors: [{ pointer, detail }],
    });
  }
}
