import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ReferralsAndClients1795366754674 implements MigrationInterface {
  name = 'ReferralsAndClients1795366754674';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "care_case" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "client_id" uuid NOT NULL, "custodian_partner_id" character varying(64) NOT NULL, "referral_id" uuid, "status" character varying(20) NOT NULL, "opened_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d2d86977917aadb46bfb7232c87" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "care_case_client_idx" ON "care_case"  ("client_id") ');
    await queryRunner.query('CREATE INDEX "care_case_custodian_idx" ON "care_case"  ("custodian_partner_id") ');
    await queryRunner.query(
      'CREATE TABLE "client" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "custodian_partner_id" character varying(64) NOT NULL, "identity_sealed" text NOT NULL, "contact_sealed" text, "national_number_sealed" text, "national_number_index" character(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_96da49381769303a6515a8785c7" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "client_custodian_idx" ON "client"  ("custodian_partner_id") ');
    await queryRunner.query('CREATE INDEX "client_national_number_index_idx" ON "client"  ("national_number_index") ');
    await queryRunner.query(
      'CREATE TABLE "referral" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "client_id" uuid NOT NULL, "referrer_partner_id" character varying(64) NOT NULL, "referrer_user" character varying(200) NOT NULL, "target_partner_id" character varying(64) NOT NULL, "status" character varying(20) NOT NULL, "housing_sealed" text NOT NULL, "description_sealed" text, "tenant_informed" character varying(10) NOT NULL, "tenant_informed_note_sealed" text, "urgency" character varying(10) NOT NULL, "referrer_contact_sealed" text NOT NULL, "known_client" boolean NOT NULL DEFAULT false, "decision_reason_sealed" text, "redirected_to" character varying(300), "decided_at" TIMESTAMP WITH TIME ZONE, "case_id" uuid, "contact_established" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_a2d3e935a6591168066defec5ad" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "referral_target_idx" ON "referral"  ("target_partner_id", "created_at") ');
    await queryRunner.query(
      'CREATE INDEX "referral_referrer_idx" ON "referral"  ("referrer_partner_id", "created_at") ',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."referral_referrer_idx"');
    await queryRunner.query('DROP INDEX "public"."referral_target_idx"');
    await queryRunner.query('DROP TABLE "referral"');
    await queryRunner.query('DROP INDEX "public"."client_national_number_index_idx"');
    await queryRunner.query('DROP INDEX "public"."client_custodian_idx"');
    await queryRunner.query('DROP TABLE "client"');
    await queryRunner.query('DROP INDEX "public"."care_case_custodian_idx"');
    await queryRunner.query('DROP INDEX "public"."care_case_client_idx"');
    await queryRunner.query('DROP TABLE "care_case"');
  }
}
