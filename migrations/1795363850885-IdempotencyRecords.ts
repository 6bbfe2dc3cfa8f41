import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IdempotencyRecords1795363850885 implements MigrationInterface {
  name = 'IdempotencyRecords1795363850885';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "idempotency_record" ("partner_id" character varying(64) NOT NULL, "key" character varying(200) NOT NULL, "request_hash" character(64) NOT NULL, "state" character varying(20) NOT NULL, "response_status" smallint, "response_body" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_050797d32a822358c4708d819e0" PRIMARY KEY ("partner_id", "key"))',
    );
    await queryRunner.query(
      'CREATE INDEX "idempotency_record_created_at_idx" ON "idempotency_record"  ("created_at") ',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."idempotency_record_created_at_idx"');
    await queryRunner.query('DROP TABLE "idempotency_record"');
  }
}
