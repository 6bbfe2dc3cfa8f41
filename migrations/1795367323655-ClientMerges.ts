import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ClientMerges1795367323655 implements MigrationInterface {
  name = 'ClientMerges1795367323655';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "client_merge" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "survivor_id" uuid NOT NULL, "duplicate_id" uuid NOT NULL, "moved_referrals" uuid array NOT NULL, "moved_cases" uuid array NOT NULL, "partner_id" character varying(64) NOT NULL, "user_sub" character varying(200) NOT NULL, "merged_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "undone_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_ca19793bb2410d63d07a5ec6e9a" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('ALTER TABLE "client" ADD "merged_into" uuid');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "client" DROP COLUMN "merged_into"');
    await queryRunner.query('DROP TABLE "client_merge"');
  }
}
