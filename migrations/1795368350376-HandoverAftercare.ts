import type { MigrationInterface, QueryRunner } from 'typeorm';

export class HandoverAftercare1795368350376 implements MigrationInterface {
  name = 'HandoverAftercare1795368350376';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "circle_member" ADD "aftercare_until" TIMESTAMP WITH TIME ZONE');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "circle_member" DROP COLUMN "aftercare_until"');
  }
}
