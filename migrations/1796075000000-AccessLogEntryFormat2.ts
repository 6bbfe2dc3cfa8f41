import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Access-log entry format 2: what a decision relied on becomes part of the legal record, and
 * therefore of the entry's hash — every consent id (not the first), the agreement, the one
 * ground relied on, the categories disclosed or written, and the break-the-glass grant. Format 1
 * entries keep their columns and keep verifying under the format-1 rules.
 */
export class AccessLogEntryFormat21796075000000 implements MigrationInterface {
  name = 'AccessLogEntryFormat21796075000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // The append-only triggers refuse UPDATE, not ALTER TABLE: the defaults fill the old rows.
    await queryRunner.query('ALTER TABLE "access_log_entry" ADD "format" smallint NOT NULL DEFAULT 1');
    await queryRunner.query(`ALTER TABLE "access_log_entry" ADD "consent_ids" uuid array NOT NULL DEFAULT '{}'`);
    await queryRunner.query('ALTER TABLE "access_log_entry" ADD "agreement_id" uuid');
    await queryRunner.query('ALTER TABLE "access_log_entry" ADD "ground" character varying(500)');
    await queryRunner.query(`ALTER TABLE "access_log_entry" ADD "categories" text array NOT NULL DEFAULT '{}'`);
    await queryRunner.query('ALTER TABLE "access_log_entry" ADD "grant_id" uuid');
    // Who received data under a consent (withdrawal notices) is looked up by consent id.
    await queryRunner.query(
      'CREATE INDEX "access_log_entry_consent_ids_idx" ON "access_log_entry" USING GIN ("consent_ids")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."access_log_entry_consent_ids_idx"');
    for (const column of ['grant_id', 'categories', 'ground', 'agreement_id', 'consent_ids', 'format']) {
      await queryRunner.query(`ALTER TABLE "access_log_entry" DROP COLUMN "${column}"`);
    }
  }
}
