import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Foundation1795362609180 implements MigrationInterface {
  name = 'Foundation1795362609180';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "agreement" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "title" character varying(300) NOT NULL, "purposes" text array NOT NULL, "valid_from" date NOT NULL, "valid_until" date, "document_reference" character varying(300), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_e7537188219eeef56233a609753" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE INDEX "agreement_created_at_idx" ON "agreement"  ("created_at") ');
    await queryRunner.query(
      'CREATE TABLE "agreement_party" ("agreement_id" uuid NOT NULL, "partner_id" character varying(64) NOT NULL, CONSTRAINT "PK_c3f6a78e55610b7540e5f121055" PRIMARY KEY ("agreement_id", "partner_id"))',
    );
    await queryRunner.query('CREATE INDEX "agreement_party_partner_idx" ON "agreement_party"  ("partner_id") ');
    await queryRunner.query(
      'CREATE TABLE "partner" ("id" character varying(64) NOT NULL, "name" character varying(200) NOT NULL, "type" character varying(40) NOT NULL, "municipalities" text array NOT NULL DEFAULT \'{}\', "issuer" character varying(500) NOT NULL, "jwks" jsonb, "jwks_uri" character varying(1000), "status" character varying(20) NOT NULL DEFAULT \'active\', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8f34ff11ddd5459eacbfacd48ca" PRIMARY KEY ("id"))',
    );
    await queryRunner.query('CREATE UNIQUE INDEX "partner_issuer_key" ON "partner"  ("issuer") ');
    await queryRunner.query(
      'ALTER TABLE "agreement_party" ADD CONSTRAINT "agreement_party_agreement_fk" FOREIGN KEY ("agreement_id") REFERENCES "agreement"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
    );
    await queryRunner.query(
      'ALTER TABLE "agreement_party" ADD CONSTRAINT "agreement_party_partner_fk" FOREIGN KEY ("partner_id") REFERENCES "partner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "agreement_party" DROP CONSTRAINT "agreement_party_partner_fk"');
    await queryRunner.query('ALTER TABLE "agreement_party" DROP CONSTRAINT "agreement_party_agreement_fk"');
    await queryRunner.query('DROP INDEX "public"."partner_issuer_key"');
    await queryRunner.query('DROP TABLE "partner"');
    await queryRunner.query('DROP INDEX "public"."agreement_party_partner_idx"');
    await queryRunner.query('DROP TABLE "agreement_party"');
    await queryRunner.query('DROP INDEX "public"."agreement_created_at_idx"');
    await queryRunner.query('DROP TABLE "agreement"');
  }
}
