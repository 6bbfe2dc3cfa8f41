import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PartnerProgramme1795986073523 implements MigrationInterface {
  name = 'PartnerProgramme1795986073523';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "partner" ADD "programme" character varying(40)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "partner" DROP COLUMN "programme"');
  }
}
