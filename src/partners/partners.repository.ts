import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource, type EntityManager, IsNull, MoreThan, Not, type Repository } from 'typeorm';
import { Partner } from './partner.entity.js';

/** The only place that queries partners. Narrow, intention-named methods. */
@Injectable()
export class PartnersRepository {
  private readonly partners: Repository<Partner>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.partners = dataSource.getRepository(Partner);
  }

  /**
   * How to open a connection of its own to the same database (the registry's LISTEN connection
   * and the change barrier's): the pool's settings, so it reaches the same server as the same role.
   */
  connectionConfig(): pg.ClientConfig {
    const options = this.dataSource.options as {
      url?: string;
      host?: string;
      port?: number;
      username?: string;
      password?: unknown;
      database?: string;
      ssl?: unknown;
    };
    return {
      connectionString: options.url,
      host: options.host,
      port: options.port,
      user: options.username,
      password: options.password as string | undefined,
      database: options.database,
      ...(options.ssl !== undefined ? { ssl: options.ssl as pg.ClientConfig['ssl'] } : {}),
    };
  }

  findById(id: string): Promise<Partner | null> {
    return this.partners.findOneBy({ id });
  }

  findByIssuer(issuer: string): Promise<Partner | null> {
    return this.partners.findOneBy({ issuer });
  }

  allNames(): Promise<{ id: string; name: string }[]> {
    return this.partners.find({ select: { id: true, name: true } });
  }

  /** Active partners whose people sign in to the console with their IdP, by name. */
  signInOrganisations(): Promise<{ id: string; name: string }[]> {
    return this.partners.find({
      select: { id: true, name: true },
      where: { status: 'active', oidcClientId: Not(IsNull()) },
      order: { name: 'ASC' },
    });
  }

  /** The whole registry, for the in-memory snapshot (a network has tens of partners, not thousands). */
  all(): Promise<Partner[]> {
    return this.partners.find();
  }

  findOperator(): Promise<Partner | null> {
    return this.partners.findOneBy({ operator: true });
  }

  /** The network operator's registration (root of trust; only the operator CLI calls this). */
  async registerOperator(input: Pick<Partner, 'id' | 'name' | 'issuer' | 'jwks' | 'jwksUri'>): Promise<Partner> {
    const existing = await this.partners.findOneBy({ id: input.id });
    return this.partners.save({
      ...(existing ?? { type: 'other', municipalities: [] }),
      ...input,
      operator: true,
      status: 'active',
    } as Partner);
  }

  async existingIds(ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.partners
      .createQueryBuilder('p')
      .select('p.id', 'id')
      .where('p.id IN (:...ids)', { ids })
      .getRawMany<{ id: string }>();
    return new Set(rows.map((row) => row.id));
  }

  /** One page ordered by id; `afterId` is the cursor. */
  listPage(afterId: string | undefined, limit: number): Promise<Partner[]> {
    return this.partners.find({ where: afterId ? { id: MoreThan(afterId) } : {}, order: { id: 'ASC' }, take: limit });
  }

  /** Writes go through the caller's transaction, so they commit or roll back with their log entry. */
  insert(manager: EntityManager, partner: Partner): Promise<Partner> {
    return manager.save(manager.create(Partner, partner));
  }

  save(manager: EntityManager, partner: Partner): Promise<Partner> {
    return manager.save(Partner, partner);
  }
}
