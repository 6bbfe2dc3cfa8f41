import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InformationRequests1795367910554 implements MigrationInterface {
  name = 'InformationRequests1795367910554';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "information_request" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "case_id" uuid NOT NULL, "requester_partner_id" character varying(64) NOT NULL, "requester_user" character varying(200) NOT NULL, "purpose" character varying(64) NOT NULL, "categories" text array NOT NULL, "justification_sealed" text NOT NULL, "decision" character varying(10) NOT NULL, "permitted_categories" text array NOT NULL DEFAULT \'{}\', "basis" character varying(300), "rule_id" character varying(120), "reason" character varying(1000) NOT NULL, "consent_id" uuid, "reviewed_by" character varying(200), "review_note_sealed" text, "reviewed_at" TIMESTAMP WITH TIME ZONE, "disclosed_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_22ee58c0e1303385ecf6cda545d" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "information_request_case_idx" ON "information_request"  ("case_id", "created_at") ',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."information_request_case_idx"');
    await queryRunner.query('DROP TABLE "information_request"');
  }
}
