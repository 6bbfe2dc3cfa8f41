import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AccessLog1795365187940 implements MigrationInterface {
  name = 'AccessLog1795365187940';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "access_log_entry" ("seq" BIGSERIAL NOT NULL, "id" uuid NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "request_id" character varying(128) NOT NULL, "partner_id" character varying(64) NOT NULL, "user_sub" character varying(200) NOT NULL, "roles" text array NOT NULL, "profession" character varying(64), "action" character varying(40) NOT NULL, "resource_type" character varying(60) NOT NULL, "resource_id" character varying(200), "client_ref" character(64), "custodian_partner_id" character varying(64), "purpose" character varying(64) NOT NULL, "legal_basis" character varying(300), "consent_id" uuid, "decision" character varying(10) NOT NULL, "reason" character varying(500) NOT NULL, "rule_id" character varying(120), "fields" text array NOT NULL DEFAULT \'{}\', "disclosure_sha256" character(64), "override" boolean NOT NULL DEFAULT false, "policy_version" character varying(80) NOT NULL, "entry_hash" character(64) NOT NULL, CONSTRAINT "PK_141446fafc73a67ef073b5bdc58" PRIMARY KEY ("seq"))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "access_log_entry_id_key" ON "access_log_entry"  ("id") ');
    await queryRunner.query('CREATE INDEX "access_log_entry_occurred_at_idx" ON "access_log_entry"  ("occurred_at") ');
    await queryRunner.query('CREATE INDEX "access_log_entry_user_idx" ON "access_log_entry"  ("user_sub") ');
    await queryRunner.query('CREATE INDEX "access_log_entry_client_idx" ON "access_log_entry"  ("client_ref", "seq") ');
    await queryRunner.query(
      'CREATE INDEX "access_log_entry_custodian_idx" ON "access_log_entry"  ("custodian_partner_id", "seq") ',
    );
    await queryRunner.query(
      'CREATE INDEX "access_log_entry_partner_idx" ON "access_log_entry"  ("partner_id", "seq") ',
    );
    await queryRunner.query(
      'CREATE TABLE "access_log_link" ("position" bigint NOT NULL, "entry_seq" bigint NOT NULL, "entry_hash" character(64) NOT NULL, "prev_hash" character(64) NOT NULL, "hash" character(64) NOT NULL, CONSTRAINT "PK_b0ab6fc1054a3cf70fb8f0ad836" PRIMARY KEY ("position"))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "access_log_link_entry_key" ON "access_log_link"  ("entry_seq") ');
    await queryRunner.query(
      'CREATE TABLE "access_log_checkpoint" ("id" BIGSERIAL NOT NULL, "position" bigint NOT NULL, "head_hash" character(64) NOT NULL, "signed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "kid" character varying(100) NOT NULL, "jws" text NOT NULL, CONSTRAINT "PK_6e6a61bc61766804b7c6af35d1e" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE TABLE "access_log_unchained" ("seq" bigint NOT NULL, CONSTRAINT "PK_86c8b518518ecaf5ad03a0ffe55" PRIMARY KEY ("seq"))',
    );
    // Append-only evidence: no UPDATE, DELETE or TRUNCATE, whoever asks (triggers also bind the
    // table owner; only disabling the trigger, a logged DDL act, gets round them).
    await queryRunner.query(`CREATE FUNCTION access_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the access log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['access_log_entry', 'access_log_link', 'access_log_checkpoint']) {
      await queryRunner.query(
        `CREATE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION access_log_refuse_change()`,
      );
      await queryRunner.query(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change()`,
      );
    }
    // Default privileges may have handed the gateway's role UPDATE/DELETE on these new tables:
    // take them back from everyone but the owner, so the role can only insert and read.
    await queryRunner.query(`DO $$
      DECLARE grantee_name text;
      BEGIN
        FOR grantee_name IN
          SELECT DISTINCT grantee FROM information_schema.role_table_grants
           WHERE table_schema = current_schema() AND table_name IN ('access_log_entry', 'access_log_link', 'access_log_checkpoint')
             AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE') AND grantee <> current_user
        LOOP
          EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON access_log_entry, access_log_link, access_log_checkpoint FROM %I', grantee_name);
        END LOOP;
      END $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['access_log_entry', 'access_log_link', 'access_log_checkpoint']) {
      await queryRunner.query(`DROP TRIGGER IF EXISTS ${table}_no_update_delete ON ${table}`);
      await queryRunner.query(`DROP TRIGGER IF EXISTS ${table}_no_truncate ON ${table}`);
    }
    await queryRunner.query('DROP FUNCTION IF EXISTS access_log_refuse_change()');
    await queryRunner.query('DROP TABLE "access_log_unchained"');
    await queryRunner.query('DROP TABLE "access_log_checkpoint"');
    await queryRunner.query('DROP INDEX "public"."access_log_link_entry_key"');
    await queryRunner.query('DROP TABLE "access_log_link"');
    await queryRunner.query('DROP INDEX "public"."access_log_entry_partner_idx"');
    await queryRunner.query('DROP INDEX "public"."access_log_entry_custodian_idx"');
    await queryRunner.query('DROP INDEX "public"."access_log_entry_client_idx"');
    await queryRunner.query('DROP INDEX "public"."access_log_entry_user_idx"');
    await queryRunner.query('DROP INDEX "public"."access_log_entry_occurred_at_idx"');
    await queryRunner.query('DROP INDEX "public"."access_log_entry_id_key"');
    await queryRunner.query('DROP TABLE "access_log_entry"');
  }
}
