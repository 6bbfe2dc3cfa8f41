import type { MigrationInterface, QueryRunner } from 'typeorm';

export class NotificationsOutbox1795368508699 implements MigrationInterface {
  name = 'NotificationsOutbox1795368508699';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "partner_notification" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "partner_id" character varying(64) NOT NULL, "kind" character varying(40) NOT NULL, "consent_id" uuid NOT NULL, "client_ref" character(64) NOT NULL, "purposes" text array NOT NULL, "categories" text array NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_51f5108652140fe7c5050d7d450" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "partner_notification_partner_idx" ON "partner_notification"  ("partner_id", "created_at") ',
    );
    await queryRunner.query(
      'CREATE TABLE "webhook_delivery" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "notification_id" uuid NOT NULL, "url" character varying(1000) NOT NULL, "jws" text NOT NULL, "attempts" integer NOT NULL DEFAULT \'0\', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL, "delivered_at" TIMESTAMP WITH TIME ZONE, "gave_up_at" TIMESTAMP WITH TIME ZONE, "last_error" character varying(200), CONSTRAINT "PK_b1ae290239a778f12399db91354" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "webhook_delivery_due_idx" ON "webhook_delivery"  ("delivered_at", "next_attempt_at") ',
    );
    await queryRunner.query('ALTER TABLE "partner" ADD "webhook_url" character varying(1000)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "partner" DROP COLUMN "webhook_url"');
    await queryRunner.query('DROP INDEX "public"."webhook_delivery_due_idx"');
    await queryRunner.query('DROP TABLE "webhook_delivery"');
    await queryRunner.query('DROP INDEX "public"."partner_notification_partner_idx"');
    await queryRunner.query('DROP TABLE "partner_notification"');
  }
}
