import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ReviewDedupe1795369476588 implements MigrationInterface {
  name = 'ReviewDedupe1795369476588';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "review_item" ADD "dedupe_key" character varying(300)');
    await queryRunner.query('CREATE UNIQUE INDEX "review_item_dedupe_key" ON "review_item"  ("dedupe_key") ');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."review_item_dedupe_key"');
    await queryRunner.query('ALTER TABLE "review_item" DROP COLUMN "dedupe_key"');
  }
}
