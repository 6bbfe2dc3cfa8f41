import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency records keep the first answer sealed instead of as readable JSON (issue 11, item 5:
 * no plaintext at rest). SQL cannot seal, so the readable answers already stored are dropped. Their
 * rows stay, so a retry of such a write is still never executed twice: it gets a 409 saying the
 * first answer is no longer kept.
 */
export class SealIdempotencyResponses1796200000000 implements MigrationInterface {
  name = 'SealIdempotencyResponses1796200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "idempotency_record" ADD "response_sealed" text');
    await queryRunner.query('ALTER TABLE "idempotency_record" DROP COLUMN "response_body"');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The sealed answers cannot be unsealed in SQL; going back forgets them.
    await queryRunner.query('ALTER TABLE "idempotency_record" ADD "response_body" jsonb');
    await queryRunner.query('ALTER TABLE "idempotency_record" DROP COLUMN "response_sealed"');
  }
}
