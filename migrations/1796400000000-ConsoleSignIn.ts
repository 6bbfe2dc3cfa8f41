import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * People sign in to the console with their own organisation's IdP (OpenID Connect, code flow with
 * PKCE). The partner keeps its IdP's client registration: the issuer people sign in at (null: the
 * partner's token issuer), the gateway's client id there and, for a confidential client, its
 * secret sealed with the field cipher. The console's sessions live on the server: the cookie holds
 * a random id whose SHA-256 is the key here, so a copy of this table opens no session.
 */
export class ConsoleSignIn1796400000000 implements MigrationInterface {
  name = 'ConsoleSignIn1796400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "partner" ADD "oidc_issuer" character varying(500), ADD "oidc_client_id" character varying(200), ADD "oidc_client_secret" text',
    );
    await queryRunner.query(
      'CREATE TABLE "console_session" ("id_hash" character(64) NOT NULL, "partner_id" character varying(64) NOT NULL, "principal" jsonb NOT NULL, "csrf_token" character varying(64) NOT NULL, "id_token" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "console_session_pkey" PRIMARY KEY ("id_hash"))',
    );
    await queryRunner.query('CREATE INDEX "console_session_last_seen_idx" ON "console_session" ("last_seen_at")');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "console_session"');
    await queryRunner.query(
      'ALTER TABLE "partner" DROP COLUMN "oidc_client_secret", DROP COLUMN "oidc_client_id", DROP COLUMN "oidc_issuer"',
    );
  }
}
