import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ReviewItemEntries1795985619580 implements MigrationInterface {
  name = 'ReviewItemEntries1795985619580';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "review_item_entry" ("review_item_id" uuid NOT NULL, "entry_id" uuid NOT NULL, CONSTRAINT "PK_014f6c2cb6905d8c11cf033f2d1" PRIMARY KEY ("review_item_id", "entry_id"))',
    );
    await queryRunner.query('CREATE INDEX "review_item_entry_entry_idx" ON "review_item_entry"  ("entry_id") ');
    // Items opened before this table existed: anomalies and contests name their entry in
    // subject_id; a break-the-glass item's subject is the grant, whose entries are the grant
    // itself and the override accesses its user made on that case while it ran.
    await queryRunner.query(
      "INSERT INTO review_item_entry (review_item_id, entry_id) SELECT id, subject_id FROM review_item WHERE kind IN ('anomaly', 'contested-access') ON CONFLICT DO NOTHING",
    );
    await queryRunner.query(
      `INSERT INTO review_item_entry (review_item_id, entry_id)
       SELECT r.id, e.id FROM review_item r JOIN emergency_grant g ON g.id = r.subject_id
         JOIN access_log_entry e ON e.override AND e.partner_id = g.partner_id AND e.user_sub = g.user_sub AND e.resource_id IN (g.id::text, g.case_id::text)
                                AND e.occurred_at >= g.created_at - interval '1 minute' AND e.occurred_at <= g.expires_at
        WHERE r.kind = 'break-the-glass' ON CONFLICT DO NOTHING`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "public"."review_item_entry_entry_idx"');
    await queryRunner.query('DROP TABLE "review_item_entry"');
  }
}
