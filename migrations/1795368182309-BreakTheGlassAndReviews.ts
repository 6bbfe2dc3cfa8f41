import type { MigrationInterface, QueryRunner } from 'typeorm';

export class BreakTheGlassAndReviews1795368182309 implements MigrationInterface {
  name = 'BreakTheGlassAndReviews1795368182309';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "emergency_grant" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "case_id" uuid NOT NULL, "partner_id" character varying(64) NOT NULL, "user_sub" character varying(200) NOT NULL, "justification_sealed" text NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_39a7b43143e759a4ec8e4e21bec" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "emergency_grant_case_idx" ON "emergency_grant"  ("case_id", "partner_id", "user_sub") ',
    );
    await queryRunner.query(
      'CREATE TABLE "review_item" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kind" character varying(30) NOT NULL, "subject_id" uuid NOT NULL, "case_id" uuid, "actor_partner_id" character varying(64) NOT NULL, "custodian_partner_id" character varying(64), "summary_sealed" text NOT NULL, "status" character varying(10) NOT NULL DEFAULT \'open\', "verdict" character varying(20), "note_sealed" text, "resolved_by" character varying(200), "resolved_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_91cdf1e8bef5fd3c1c8352e1873" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "review_item_status_idx" ON "review_item"  ("status", "created_at") ');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."review_item_status_idx"');
    await queryRunner.query('DROP TABLE "review_item"');
    await queryRunner.query('DROP INDEX "public"."emergency_grant_case_idx"');
    await queryRunner.query('DROP TABLE "emergency_grant"');
  }
}
