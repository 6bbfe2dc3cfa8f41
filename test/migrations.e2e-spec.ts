import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/data-source.js';
import { pendingSchemaChanges } from '../src/database/migration-files.js';
import { MIGRATIONS } from '../migrations/index.js';
import { createTestDatabase, dropTestDatabase, testConfig } from './support/test-context.js';

/** The schema comes only from migrations; entities and migrations must never drift apart. */
describe('migrations', () => {
  let url: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    url = await createTestDatabase();
    dataSource = createDataSource(url, testConfig(url));
    await dataSource.initialize();
  });
  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    if (url) await dropTestDatabase(url);
  });

  it('never synchronises the schema from entities', () => {
    expect(dataSource.options.synchronize).toBe(false);
    expect(dataSource.options.migrationsRun).toBe(false);
  });

  it('applies every migration on an empty database, after which entities and schema agree', async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((M) => new M().name ?? M.name));
    const drift = await pendingSchemaChanges(dataSource);
    // Non-empty means an entity changed without a migration: run `npm run migration:generate -- <Name>`.
    expect(drift.up).toEqual([]);
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it('keeps what existing log entries and links say across the compact-storage migrations, up and down', async () => {
    // Back to the schema before AccessLogCompactStorage and AccessLogTerms, with a log in it.
    await dataSource.undoLastMigration({ transaction: 'each' });
    await dataSource.undoLastMigration({ transaction: 'each' });
    const hash = (text: string) => createHash('sha256').update(text).digest('hex');
    for (const [i, decision, reason, consents] of [
      [1, 'permit', 'case read (rule a)', '{}'],
      [2, 'permit', 'case read (rule a)', `{${randomUUID()}}`],
      [3, 'deny', 'no rule permits it', '{}'],
    ] as const) {
      await dataSource.query(
        `INSERT INTO access_log_entry (id, occurred_at, request_id, partner_id, user_sub, roles, profession, action, resource_type,
           resource_id, client_ref, custodian_partner_id, purpose, legal_basis, consent_id, decision, reason, rule_id, fields,
           disclosure_sha256, override, policy_version, entry_hash, format, consent_ids, agreement_id, ground, categories, grant_id)
         VALUES (gen_random_uuid(), now(), $1, 'outreach', 'cw-1', '{caseworker}', 'social-worker', 'read', 'Case', $1, $2, 'outreach',
           'care-coordination', NULL, NULL, $3, $4, 'a', '{status}', $5, false, 'v1', $6, 2, $7, NULL, 'art. 6(1)(e)', '{case-status}', NULL)`,
        [
          `r${i}`,
          hash(`client-${i}`),
          decision,
          reason,
          decision === 'permit' ? hash(`d${i}`) : null,
          hash(`e${i}`),
          consents,
        ],
      );
    }
    const old = {
      entries: await dataSource.query('SELECT * FROM access_log_entry ORDER BY seq'),
      links: [] as Record<string, unknown>[],
    };
    let prev = '0'.repeat(64);
    for (const [i, entry] of (old.entries as { seq: string; entry_hash: string }[]).entries()) {
      const link = {
        position: String(i + 1),
        entry_seq: entry.seq,
        entry_hash: entry.entry_hash,
        prev_hash: prev,
        hash: hash(`l${i}`),
      };
      await dataSource.query(
        'INSERT INTO access_log_link (position, entry_seq, entry_hash, prev_hash, hash) VALUES ($1, $2, $3, $4, $5)',
        Object.values(link),
      );
      old.links.push(link);
      prev = link.hash;
    }

    await dataSource.runMigrations({ transaction: 'each' });
    const now = (await dataSource.query('SELECT * FROM access_log ORDER BY seq')) as Record<string, unknown>[];
    // The view shows every entry as the table did, column for column.
    expect(now.map(({ terms_id: _t, client_ref_bytes: _c, ...entry }) => entry)).toEqual(old.entries);
    // Entries with the same terms share one row; the links keep their hashes.
    expect(new Set(now.map((e) => e.terms_id)).size).toBe(2);
    expect(
      await dataSource.query(
        "SELECT position, entry_seq, encode(hash, 'hex') AS hash FROM access_log_link ORDER BY position",
      ),
    ).toEqual(old.links.map(({ position, entry_seq, hash }) => ({ position, entry_seq, hash })));

    // And back: the old columns, the links' copies rebuilt from the chain.
    await dataSource.undoLastMigration({ transaction: 'each' });
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await dataSource.query('SELECT * FROM access_log_entry ORDER BY seq')).toEqual(old.entries);
    expect(await dataSource.query('SELECT * FROM access_log_link ORDER BY position')).toEqual(old.links);
    await dataSource.runMigrations({ transaction: 'each' });
  });

  it('reverts every migration and applies them again', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
    const tables = await dataSource.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migration'`,
    );
    expect(tables[0].n).toBe(0);
    await dataSource.runMigrations({ transaction: 'each' });
    expect((await pendingSchemaChanges(dataSource)).up).toEqual([]);
  });
});
