import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Entries per partition the migration makes ahead; `npm run log:maintain` follows ACCESS_LOG_PARTITION_SIZE. */
const INITIAL_PARTITION_SIZE = 1_000_000n;

const ENTRY_INDEXES = [
  'CREATE INDEX "access_log_entry_id_idx" ON "access_log_entry" ("id")',
  'CREATE INDEX "access_log_entry_occurred_at_idx" ON "access_log_entry" ("occurred_at")',
  'CREATE INDEX "access_log_entry_user_idx" ON "access_log_entry" ("user_sub", "seq")',
  'CREATE INDEX "access_log_entry_purpose_idx" ON "access_log_entry" ("purpose", "seq")',
  'CREATE INDEX "access_log_entry_client_idx" ON "access_log_entry" ("client_ref", "seq")',
  'CREATE INDEX "access_log_entry_custodian_idx" ON "access_log_entry" ("custodian_partner_id", "seq")',
  'CREATE INDEX "access_log_entry_partner_idx" ON "access_log_entry" ("partner_id", "seq")',
  'CREATE INDEX "access_log_entry_consent_ids_idx" ON "access_log_entry" USING GIN ("consent_ids")',
];
const OLD_ENTRY_INDEXES = [
  'access_log_entry_id_key',
  'access_log_entry_occurred_at_idx',
  'access_log_entry_user_idx',
  'access_log_entry_client_idx',
  'access_log_entry_custodian_idx',
  'access_log_entry_partner_idx',
  'access_log_entry_consent_ids_idx',
];
const ENTRY_PK = 'PK_141446fafc73a67ef073b5bdc58';
const LINK_PK = 'PK_b0ab6fc1054a3cf70fb8f0ad836';

/**
 * The access log partitioned by ranges of entry sequence (PostgreSQL declarative partitioning):
 * `access_log_entry` by `seq`, `access_log_link` by `entry_seq`, with the same bounds, so an
 * entry and its link always sit in partitions of the same name (`…_p<lower bound>`). The chainer
 * links entries in sequence order, so a range the chainer has passed is a prefix of the chain
 * (maintenance checks that exactly before dropping one): retention drops whole partitions
 * instead of deleting rows (`npm run log:maintain`, see src/access-log/log-maintenance.service.ts).
 *
 * What partitioning costs: a unique index must contain the partition key, so the entry id is
 * indexed but no longer unique in the database (the gateway makes it a random UUID; the hash
 * chain covers it), and the link's primary key is (position, entry_seq) — positions are made
 * consecutive by the one chainer and checked by verification. The append-only triggers stay on
 * the parents (row triggers reach every partition); each partition gets its own TRUNCATE trigger.
 *
 * Existing entries move into the first partition (everything below the next sequence value);
 * partitions for the next 2 × 1,000,000 entries are made ahead.
 */
export class AccessLogPartitions1796300000000 implements MigrationInterface {
  name = 'AccessLogPartitions1796300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const [{ next }] = (await queryRunner.query(
      `SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS next FROM access_log_entry_seq_seq`,
    )) as { next: string }[];
    const first = BigInt(next);

    // Keep the sequence: entries go on numbering where they were.
    await queryRunner.query('ALTER SEQUENCE access_log_entry_seq_seq OWNED BY NONE');
    for (const table of ['access_log_entry', 'access_log_link']) {
      await queryRunner.query(`ALTER TABLE ${table} RENAME TO ${table}_unpartitioned`);
    }
    for (const index of OLD_ENTRY_INDEXES) await queryRunner.query(`DROP INDEX IF EXISTS "${index}"`);
    await queryRunner.query('DROP INDEX IF EXISTS "access_log_link_entry_key"');
    await queryRunner.query(
      `ALTER TABLE access_log_entry_unpartitioned RENAME CONSTRAINT "${ENTRY_PK}" TO access_log_entry_unpartitioned_pkey`,
    );
    await queryRunner.query(
      `ALTER TABLE access_log_link_unpartitioned RENAME CONSTRAINT "${LINK_PK}" TO access_log_link_unpartitioned_pkey`,
    );

    await queryRunner.query(
      `CREATE TABLE access_log_entry (LIKE access_log_entry_unpartitioned INCLUDING DEFAULTS) PARTITION BY RANGE (seq)`,
    );
    await queryRunner.query(`ALTER TABLE access_log_entry ADD CONSTRAINT "${ENTRY_PK}" PRIMARY KEY (seq)`);
    await queryRunner.query(
      `CREATE TABLE access_log_link (LIKE access_log_link_unpartitioned INCLUDING DEFAULTS) PARTITION BY RANGE (entry_seq)`,
    );
    await queryRunner.query(
      `ALTER TABLE access_log_link ADD CONSTRAINT "${LINK_PK}" PRIMARY KEY (position, entry_seq)`,
    );
    await queryRunner.query('CREATE UNIQUE INDEX "access_log_link_entry_key" ON "access_log_link" ("entry_seq")');
    await queryRunner.query('CREATE INDEX "access_log_link_position_idx" ON "access_log_link" ("position")');
    for (const sql of ENTRY_INDEXES) await queryRunner.query(sql);

    // The existing entries (and their links) in one partition; then ranges ahead.
    const bounds: [string, string][] = [['MINVALUE', String(first)]];
    for (let lower = first, i = 0; i < 2; i++, lower += INITIAL_PARTITION_SIZE) {
      bounds.push([String(lower), String(lower + INITIAL_PARTITION_SIZE)]);
    }
    for (const [lower, upper] of bounds) {
      const suffix = lower === 'MINVALUE' ? '0' : lower;
      for (const table of ['access_log_entry', 'access_log_link']) {
        await queryRunner.query(
          `CREATE TABLE ${table}_p${suffix} PARTITION OF ${table} FOR VALUES FROM (${lower}) TO (${upper})`,
        );
        await queryRunner.query(
          `CREATE TRIGGER ${table}_p${suffix}_no_truncate BEFORE TRUNCATE ON ${table}_p${suffix} FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change()`,
        );
      }
    }
    await queryRunner.query('INSERT INTO access_log_entry SELECT * FROM access_log_entry_unpartitioned');
    await queryRunner.query('INSERT INTO access_log_link SELECT * FROM access_log_link_unpartitioned');
    await queryRunner.query('DROP TABLE access_log_entry_unpartitioned, access_log_link_unpartitioned');
    await queryRunner.query('ALTER SEQUENCE access_log_entry_seq_seq OWNED BY access_log_entry.seq');
    await this.protect(queryRunner);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER SEQUENCE access_log_entry_seq_seq OWNED BY NONE');
    for (const table of ['access_log_entry', 'access_log_link']) {
      await queryRunner.query(`ALTER TABLE ${table} RENAME TO ${table}_partitioned`);
    }
    await queryRunner.query(
      `ALTER TABLE access_log_entry_partitioned RENAME CONSTRAINT "${ENTRY_PK}" TO access_log_entry_partitioned_pkey`,
    );
    await queryRunner.query(
      `ALTER TABLE access_log_link_partitioned RENAME CONSTRAINT "${LINK_PK}" TO access_log_link_partitioned_pkey`,
    );
    for (const index of [
      'access_log_entry_id_idx',
      'access_log_entry_occurred_at_idx',
      'access_log_entry_user_idx',
      'access_log_entry_purpose_idx',
      'access_log_entry_client_idx',
      'access_log_entry_custodian_idx',
      'access_log_entry_partner_idx',
      'access_log_entry_consent_ids_idx',
      'access_log_link_entry_key',
      'access_log_link_position_idx',
    ])
      await queryRunner.query(`DROP INDEX IF EXISTS "${index}"`);
    await queryRunner.query(
      `CREATE TABLE access_log_entry (LIKE access_log_entry_partitioned INCLUDING DEFAULTS, CONSTRAINT "${ENTRY_PK}" PRIMARY KEY (seq))`,
    );
    await queryRunner.query(
      `CREATE TABLE access_log_link (LIKE access_log_link_partitioned INCLUDING DEFAULTS, CONSTRAINT "${LINK_PK}" PRIMARY KEY (position))`,
    );
    await queryRunner.query('INSERT INTO access_log_entry SELECT * FROM access_log_entry_partitioned');
    await queryRunner.query('INSERT INTO access_log_link SELECT * FROM access_log_link_partitioned');
    await queryRunner.query('DROP TABLE access_log_entry_partitioned, access_log_link_partitioned CASCADE');
    await queryRunner.query('ALTER SEQUENCE access_log_entry_seq_seq OWNED BY access_log_entry.seq');
    await queryRunner.query('CREATE UNIQUE INDEX "access_log_entry_id_key" ON "access_log_entry" ("id")');
    await queryRunner.query('CREATE INDEX "access_log_entry_occurred_at_idx" ON "access_log_entry" ("occurred_at")');
    await queryRunner.query('CREATE INDEX "access_log_entry_user_idx" ON "access_log_entry" ("user_sub")');
    await queryRunner.query('CREATE INDEX "access_log_entry_client_idx" ON "access_log_entry" ("client_ref", "seq")');
    await queryRunner.query(
      'CREATE INDEX "access_log_entry_custodian_idx" ON "access_log_entry" ("custodian_partner_id", "seq")',
    );
    await queryRunner.query('CREATE INDEX "access_log_entry_partner_idx" ON "access_log_entry" ("partner_id", "seq")');
    await queryRunner.query(
      'CREATE INDEX "access_log_entry_consent_ids_idx" ON "access_log_entry" USING GIN ("consent_ids")',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "access_log_link_entry_key" ON "access_log_link" ("entry_seq")');
    await this.protect(queryRunner);
    for (const table of ['access_log_entry', 'access_log_link']) {
      await queryRunner.query(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change()`,
      );
    }
  }

  /** The append-only triggers and privileges of the first access-log migration, on the new tables. */
  private async protect(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['access_log_entry', 'access_log_link']) {
      await queryRunner.query(
        `CREATE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION access_log_refuse_change()`,
      );
    }
    await queryRunner.query(`DO $$
      DECLARE grantee_name text;
      BEGIN
        FOR grantee_name IN
          SELECT DISTINCT grantee FROM information_schema.role_table_grants
           WHERE table_schema = current_schema() AND table_name IN ('access_log_entry', 'access_log_link')
             AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE') AND grantee <> current_user
        LOOP
          EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON access_log_entry, access_log_link FROM %I', grantee_name);
        END LOOP;
      END $$`);
  }
}
