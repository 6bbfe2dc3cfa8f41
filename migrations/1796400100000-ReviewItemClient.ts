import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The client a review item is about (an opaque id), so a privacy officer picks the client's
 * access report from the items of their office instead of pasting an internal id. Existing items
 * learn it from their case.
 */
export class ReviewItemClient1796400100000 implements MigrationInterface {
  name = 'ReviewItemClient1796400100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "review_item" ADD "client_id" uuid');
    await queryRunner.query(
      'UPDATE "review_item" r SET "client_id" = c."client_id" FROM "care_case" c WHERE c."id" = r."case_id"',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "review_item" DROP COLUMN "client_id"');
  }
}
