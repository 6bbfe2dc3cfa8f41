import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { AccessService } from '../access/access.service.js';
import type { AccessContext } from '../access/access-context.js';
import { importJWK } from 'jose';
import { ProblemException } from '../common/problem/problem.js';
import { outboundPolicyOf, outboundUrlRefusal } from '../common/http/outbound.js';
import { decodeCursor, toPage, type Page } from '../common/http/pagination.js';
import { ALLOWED_ALGORITHMS } from '../auth/algorithms.js';
import { type CreatePartnerDto, PartnerView, type UpdatePartnerDto } from './dto/partner.dto.js';
import type { Partner, PublicJwk, PublicJwkSet } from './partner.entity.js';
import { PartnersRepository } from './partners.repository.js';
import { PolicyService } from '../policies/policy.service.js';

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Registers partner organisations and their signing keys; the gateway administrators' desk. */
@Injectable()
export class PartnersService {
  constructor(
    private readonly partners: PartnersRepository,
    private readonly access: AccessService,
    private readonly policy: PolicyService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async register(access: AccessContext, input: CreatePartnerDto): Promise<PartnerView> {
    this.requireExactlyOneKeySource(input.jwks, input.jwksUri, false);
    this.policy.requireKnownProgramme(input.programme);
    await this.requireCallableUrls(input);
    const jwks = input.jwks ? await this.checkedKeySet(input.jwks) : null;
    if (await this.partners.findById(input.id))
      throw new ProblemException('conflict', `A partner with id "${input.id}" already exists`);
    if (await this.partners.findByIssuer(input.issuer))
      throw new ProblemException('conflict', 'Another partner already uses this issuer');
    return this.access.run(access, async (tx) => {
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
        status: 'active',
        operator: false,
      } as Partner);
      return tx.complete(PartnerView.of(saved), decision, {
        reason: 'partner registered',
        written: Object.keys(input).sort(),
      });
    });
  }

  /** Every partner's display name by id (the client's report names organisations). */
  async names(): Promise<Map<string, string>> {
    return new Map((await this.partners.allNames()).map((p) => [p.id, p.name]));
  }

  /** Another capability's view of a partner: who it is and whether it is active (null when unknown). */
  async find(
    id: string,
  ): Promise<{ id: string; type: string; status: string; name: string; webhookUrl: string | null } | null> {
    const partner = await this.partners.findById(id);
    return partner
      ? {
          id: partner.id,
          type: partner.type,
          status: partner.status,
          name: partner.name,
          webhookUrl: partner.webhookUrl,
        }
      : null;
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
    return PartnerView.of(await this.require(id));
  }

  async list(limit: number, cursor: string | undefined): Promise<Page<PartnerView>> {
    const after = decodeCursor(cursor, (v): v is string => typeof v === 'string');
    const rows = await this.partners.listPage(after, limit + 1);
    return toPage(rows, limit, PartnerView.of, (p) => p.id);
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
    if (input.status) partner.status = input.status;
    if (input.name) partner.name = input.name;
    if (input.municipalities) partner.municipalities = input.municipalities;
    if (input.webhookUrl) partner.webhookUrl = input.webhookUrl;
    if (input.programme) partner.programme = input.programme;
    return this.access.run(access, async (tx) => {
      const decision = await tx.require({
        subject: { type: 'Partner', id },
        action: 'update',
        facts: { visible: true },
      });
      const saved = await this.partners.save(tx.manager, partner);
      return tx.complete(PartnerView.of(saved), decision, {
        reason: 'partner registration changed',
        written: Object.keys(input).sort(),
      });
    });
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
