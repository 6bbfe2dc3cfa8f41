import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13, item 10: the circle of care holds only those with a care mission. A member may be
 * added with the profession of the professional who will follow the client there, checked against
 * the categories its purposes would open (art. 9 data only to professions bound by secrecy).
 */
export class CircleMemberProfession1796313300000 implements MigrationInterface {
  name = 'CircleMemberProfession1796313300000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "circle_member" ADD "profession" character varying(64)');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "circle_member" DROP COLUMN "profession"');
  }
}
