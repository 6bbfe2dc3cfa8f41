import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every committed change to the partner registry is announced on the channel `partner_changed`
 * (payload: the partner id), whoever made it: the API, the operator's command line, the demo seed
 * or a database administrator. Each gateway replica keeps the registry in memory and listens, so
 * "a suspended partner is refused at once" holds on every replica without a query per request
 * (see src/partners/partner-registry.service.ts). PostgreSQL delivers a notification only once
 * its transaction commits, and drops it if it rolls back.
 */
export class PartnerChangeNotify1796100200000 implements MigrationInterface {
  name = 'PartnerChangeNotify1796100200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION partner_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- NEW and OLD are NULL for the statement-level TRUNCATE trigger: an empty payload says "all".
        PERFORM pg_notify('partner_changed', COALESCE(NEW.id, OLD.id, ''));
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(
      'CREATE TRIGGER partner_change_notify AFTER INSERT OR UPDATE OR DELETE ON "partner" FOR EACH ROW EXECUTE FUNCTION partner_notify_change()',
    );
    await queryRunner.query(
      'CREATE TRIGGER partner_truncate_notify AFTER TRUNCATE ON "partner" FOR EACH STATEMENT EXECUTE FUNCTION partner_notify_change()',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER partner_truncate_notify ON "partner"');
    await queryRunner.query('DROP TRIGGER partner_change_notify ON "partner"');
    await queryRunner.query('DROP FUNCTION partner_notify_change()');
  }
}
