import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13, item 9: agreements end. An operator suspends or ends a cooperation agreement; an
 * agreement is in force only while `active` and within its dates, so exchanges under it stop on
 * the day it ends.
 */
export class AgreementStatus1796313600000 implements MigrationInterface {
  name = 'AgreementStatus1796313600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "agreement" ADD "status" character varying(20) NOT NULL DEFAULT 'active'`);
    await queryRunner.query('ALTER TABLE "agreement" ADD "status_changed_at" TIMESTAMP WITH TIME ZONE');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "agreement" DROP COLUMN "status_changed_at"');
    await queryRunner.query('ALTER TABLE "agreement" DROP COLUMN "status"');
  }
}
