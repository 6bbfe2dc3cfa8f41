import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The network operator becomes an explicit flag of the partner registry (issue: network powers
 * only for the operator). No backfill: the demo seed marks its operator, and a production
 * network registers its operator with `npm run operator:register`.
 */
export class PartnerOperator1796074000000 implements MigrationInterface {
  name = 'PartnerOperator1796074000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "partner" ADD "operator" boolean NOT NULL DEFAULT false');
    await queryRunner.query(
      'CREATE UNIQUE INDEX "partner_single_operator_key" ON "partner" ("operator") WHERE "operator"',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."partner_single_operator_key"');
    await queryRunner.query('ALTER TABLE "partner" DROP COLUMN "operator"');
  }
}
