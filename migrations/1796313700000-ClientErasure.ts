import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13, items 14 and 15: a client record can be erased (on the client's request, or when its
 * retention has passed); the record stays as an empty shell with the date, so the access log's
 * pseudonymised entries still point somewhere and nothing is erased twice.
 */
export class ClientErasure1796313700000 implements MigrationInterface {
  name = 'ClientErasure1796313700000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "client" ADD "erased_at" TIMESTAMP WITH TIME ZONE');
    await queryRunner.query('ALTER TABLE "client" ADD "erasure_reason" character varying(40)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "client" DROP COLUMN "erasure_reason"');
    await queryRunner.query('ALTER TABLE "client" DROP COLUMN "erased_at"');
  }
}
