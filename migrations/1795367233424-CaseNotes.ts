import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CaseNotes1795367233424 implements MigrationInterface {
  name = 'CaseNotes1795367233424';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "case_note" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "case_id" uuid NOT NULL, "category" character varying(30) NOT NULL, "text_sealed" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "partner_id" character varying(64) NOT NULL, "user_sub" character varying(200) NOT NULL, CONSTRAINT "PK_7b0442af3f3d9273fb63d2799a2" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "case_note_case_idx" ON "case_note"  ("case_id", "at") ');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."case_note_case_idx"');
    await queryRunner.query('DROP TABLE "case_note"');
  }
}
