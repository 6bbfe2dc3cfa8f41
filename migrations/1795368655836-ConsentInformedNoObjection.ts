import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ConsentInformedNoObjection1795368655836 implements MigrationInterface {
  name = 'ConsentInformedNoObjection1795368655836';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "consent" DROP COLUMN "effect"');
    await queryRunner.query('ALTER TABLE "consent" ADD "effect" character varying(30) NOT NULL');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "consent" DROP COLUMN "effect"');
    await queryRunner.query('ALTER TABLE "consent" ADD "effect" character varying(10) NOT NULL');
  }
}
