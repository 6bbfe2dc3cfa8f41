import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CasesCircleContactAttempts1795366978378 implements MigrationInterface {
  name = 'CasesCircleContactAttempts1795366978378';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "case_transition" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "case_id" uuid NOT NULL, "from_status" character varying(20) NOT NULL, "to_status" character varying(20) NOT NULL, "end_reason" character varying(30), "reason_sealed" text, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "partner_id" character varying(64) NOT NULL, "user_sub" character varying(200) NOT NULL, CONSTRAINT "PK_52ec081adb0cb83fcfbb7109fce" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "case_transition_case_idx" ON "case_transition"  ("case_id", "at") ');
    await queryRunner.query(
      'CREATE TABLE "contact_attempt" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "case_id" uuid NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "channel" character varying(20) NOT NULL, "outcome" character varying(20) NOT NULL, "partner_id" character varying(64) NOT NULL, "user_sub" character varying(200) NOT NULL, CONSTRAINT "PK_abf634ac7eea109d9fe6e267618" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "contact_attempt_case_idx" ON "contact_attempt"  ("case_id", "at") ');
    await queryRunner.query(
      'CREATE TABLE "circle_member" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "case_id" uuid NOT NULL, "partner_id" character varying(64) NOT NULL, "purposes" text array NOT NULL, "responsible_professional" character varying(200), "added_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "removed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_23ce5f5593fe8079875b0540842" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "circle_member_partner_idx" ON "circle_member"  ("partner_id") ');
    await queryRunner.query('CREATE INDEX "circle_member_case_idx" ON "circle_member"  ("case_id") ');
    await queryRunner.query('ALTER TABLE "care_case" ADD "end_reason" character varying(30)');
    await queryRunner.query('ALTER TABLE "care_case" ADD "care_plan_sealed" text');
    await queryRunner.query('ALTER TABLE "care_case" ADD "crisis_plan_sealed" text');
    await queryRunner.query('ALTER TABLE "care_case" ADD "safety_flags_sealed" text');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "care_case" DROP COLUMN "safety_flags_sealed"');
    await queryRunner.query('ALTER TABLE "care_case" DROP COLUMN "crisis_plan_sealed"');
    await queryRunner.query('ALTER TABLE "care_case" DROP COLUMN "care_plan_sealed"');
    await queryRunner.query('ALTER TABLE "care_case" DROP COLUMN "end_reason"');
    await queryRunner.query('DROP INDEX "public"."circle_member_case_idx"');
    await queryRunner.query('DROP INDEX "public"."circle_member_partner_idx"');
    await queryRunner.query('DROP TABLE "circle_member"');
    await queryRunner.query('DROP INDEX "public"."contact_attempt_case_idx"');
    await queryRunner.query('DROP TABLE "contact_attempt"');
    await queryRunner.query('DROP INDEX "public"."case_transition_case_idx"');
    await queryRunner.query('DROP TABLE "case_transition"');
  }
}
