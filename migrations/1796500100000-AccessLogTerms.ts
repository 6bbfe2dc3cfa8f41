import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What an entry states about the decision, the same for many entries: kept once, in access_log_terms. */
const TERMS_COLUMNS = [
  'roles',
  'profession',
  'action',
  'resource_type',
  'legal_basis',
  'decision',
  'reason',
  'rule_id',
  'fields',
  'override',
  'policy_version',
  'format',
  'ground',
  'categories',
] as const;

/**
 * An access-log entry's terms kept once (issue 12: 10 million entries within 8 GB). Of the 512
 * bytes an entry row took, about 210 were the same text over and over: the caller's roles and
 * profession, the action and resource type, the decision with its reason, rule, ground, legal
 * basis and policy version, the fields and categories. Those now sit in `access_log_terms`, one
 * row per distinct combination, and each entry refers to its row (`terms_id`). The view
 * `access_log` puts every entry back together, column for column as before; everything that
 * reads the log reads the view. The entry hash covers the terms as before (the canonical JSON is
 * built from the view), so a changed terms row fails verification for every entry using it.
 *
 * The terms rows are append-only like the log: UPDATE may only rewrite a row to itself (what
 * INSERT … ON CONFLICT DO UPDATE does when two gateways add the same terms at once), DELETE and
 * TRUNCATE are refused. An empty `consent_ids` is stored as NULL (16 bytes less, read as []).
 */
export class AccessLogTerms1796500100000 implements MigrationInterface {
  name = 'AccessLogTerms1796500100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE access_log_terms (
         id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         digest bytea NOT NULL,
         roles text[] NOT NULL,
         profession character varying(64),
         action character varying(40) NOT NULL,
         resource_type character varying(60) NOT NULL,
         legal_basis character varying(300),
         decision character varying(10) NOT NULL,
         reason character varying(500) NOT NULL,
         rule_id character varying(120),
         fields text[] NOT NULL,
         override boolean NOT NULL,
         policy_version character varying(80) NOT NULL,
         format smallint NOT NULL,
         ground character varying(500),
         categories text[] NOT NULL,
         CONSTRAINT access_log_terms_digest_key UNIQUE (digest))`,
    );
    await queryRunner.query(
      `CREATE TRIGGER access_log_terms_no_change BEFORE UPDATE ON access_log_terms FOR EACH ROW
         WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION access_log_refuse_change()`,
    );
    await queryRunner.query(
      'CREATE TRIGGER access_log_terms_no_delete BEFORE DELETE ON access_log_terms FOR EACH ROW EXECUTE FUNCTION access_log_refuse_change()',
    );
    await queryRunner.query(
      'CREATE TRIGGER access_log_terms_no_truncate BEFORE TRUNCATE ON access_log_terms FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change()',
    );

    // Existing entries: one terms row per distinct combination (their digest marks them as
    // migrated; the gateway's own digests are SHA-256 of canonical JSON, so it may add a twin).
    const columns = TERMS_COLUMNS.join(', ');
    await queryRunner.query(
      `INSERT INTO access_log_terms (digest, ${columns})
       SELECT sha256(convert_to('migrated terms ' || row_number() OVER (), 'UTF8')), ${columns}
         FROM (SELECT DISTINCT ${columns} FROM access_log_entry) d`,
    );
    await queryRunner.query('ALTER TABLE access_log_entry ADD COLUMN terms_id integer');
    await queryRunner.query('ALTER TABLE access_log_entry DISABLE TRIGGER access_log_entry_no_update_delete');
    await queryRunner.query(
      `UPDATE access_log_entry e SET terms_id = t.id FROM access_log_terms t
        WHERE ${TERMS_COLUMNS.map((c) => `t.${c} IS NOT DISTINCT FROM e.${c}`).join(' AND ')}`,
    );
    await queryRunner.query('ALTER TABLE access_log_entry ENABLE TRIGGER access_log_entry_no_update_delete');
    await queryRunner.query('ALTER TABLE access_log_entry ALTER COLUMN terms_id SET NOT NULL');
    await queryRunner.query(
      `ALTER TABLE access_log_entry ${TERMS_COLUMNS.map((c) => `DROP COLUMN ${c}`).join(', ')},
         ALTER COLUMN consent_ids DROP NOT NULL, ALTER COLUMN consent_ids DROP DEFAULT`,
    );
    await queryRunner.query(VIEW);
    await queryRunner.query(`DO $$
      DECLARE grantee_name text;
      BEGIN
        FOR grantee_name IN
          SELECT DISTINCT grantee FROM information_schema.role_table_grants
           WHERE table_schema = current_schema() AND table_name = 'access_log_terms'
             AND privilege_type IN ('DELETE', 'TRUNCATE') AND grantee <> current_user
        LOOP
          EXECUTE format('REVOKE DELETE, TRUNCATE ON access_log_terms FROM %I', grantee_name);
        END LOOP;
      END $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP VIEW access_log');
    await queryRunner.query(
      `ALTER TABLE access_log_entry
         ADD COLUMN roles text[], ADD COLUMN profession character varying(64), ADD COLUMN action character varying(40),
         ADD COLUMN resource_type character varying(60), ADD COLUMN legal_basis character varying(300),
         ADD COLUMN decision character varying(10), ADD COLUMN reason character varying(500),
         ADD COLUMN rule_id character varying(120), ADD COLUMN fields text[] DEFAULT '{}', ADD COLUMN override boolean DEFAULT false,
         ADD COLUMN policy_version character varying(80), ADD COLUMN format smallint DEFAULT 1,
         ADD COLUMN ground character varying(500), ADD COLUMN categories text[] DEFAULT '{}'`,
    );
    await queryRunner.query('ALTER TABLE access_log_entry DISABLE TRIGGER access_log_entry_no_update_delete');
    await queryRunner.query(
      `UPDATE access_log_entry e SET ${TERMS_COLUMNS.map((c) => `${c} = t.${c}`).join(', ')},
              consent_ids = coalesce(e.consent_ids, '{}')
         FROM access_log_terms t WHERE t.id = e.terms_id`,
    );
    await queryRunner.query('ALTER TABLE access_log_entry ENABLE TRIGGER access_log_entry_no_update_delete');
    for (const c of [
      'roles',
      'action',
      'resource_type',
      'decision',
      'reason',
      'fields',
      'override',
      'policy_version',
      'format',
      'categories',
    ])
      await queryRunner.query(`ALTER TABLE access_log_entry ALTER COLUMN ${c} SET NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE access_log_entry DROP COLUMN terms_id, ALTER COLUMN consent_ids SET DEFAULT '{}', ALTER COLUMN consent_ids SET NOT NULL`,
    );
    await queryRunner.query('DROP TABLE access_log_terms');
  }
}

/**
 * Every entry with its terms, column for column as the entry table had them before this
 * migration and AccessLogCompactStorage (hashes as hex, no consents as an empty array), for
 * everything that reads the log; `client_ref_bytes` is the stored pseudonym, for its index.
 */
const VIEW = `CREATE VIEW access_log AS
  SELECT e.seq, e.id, e.occurred_at, e.request_id, e.partner_id, e.user_sub, t.roles, t.profession, t.action,
         t.resource_type, e.resource_id, encode(e.client_ref, 'hex') AS client_ref, e.custodian_partner_id, e.purpose,
         t.legal_basis, e.consent_id, t.decision, t.reason, t.rule_id, t.fields,
         encode(e.disclosure_sha256, 'hex') AS disclosure_sha256, t.override, t.policy_version,
         encode(e.entry_hash, 'hex') AS entry_hash, t.format, coalesce(e.consent_ids, '{}') AS consent_ids, e.agreement_id,
         t.ground, t.categories, e.grant_id, e.terms_id, e.client_ref AS client_ref_bytes
    FROM access_log_entry e LEFT JOIN access_log_terms t ON t.id = e.terms_id`;
