import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Consents1795367705033 implements MigrationInterface {
  name = 'Consents1795367705033';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "consent" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "client_id" uuid NOT NULL, "purposes" text array NOT NULL, "recipient_partner_ids" text array NOT NULL DEFAULT \'{}\', "recipient_partner_types" text array NOT NULL DEFAULT \'{}\', "categories" text array NOT NULL, "effect" character varying(10) NOT NULL, "given_by" character varying(30) NOT NULL, "representative_sealed" text, "method" character varying(10) NOT NULL, "evidence_sha256" character(64), "evidence_description_sealed" text, "valid_from" date NOT NULL, "valid_until" date, "withdrawn_at" TIMESTAMP WITH TIME ZONE, "recorded_by_partner" character varying(64) NOT NULL, "recorded_by_user" character varying(200) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9115e8d6b082d4fc46d56134d29" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "consent_client_idx" ON "consent"  ("client_id") ');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."consent_client_idx"');
    await queryRunner.query('DROP TABLE "consent"');
  }
}
