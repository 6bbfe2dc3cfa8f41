import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13, item 13: a contact attempt through the client's network says whether the client knows
 * (open question 3); the switch contactViaNetworkWithoutKnowledge decides whether one without the
 * client's knowledge is accepted.
 */
export class ContactViaNetworkKnowledge1796313500000 implements MigrationInterface {
  name = 'ContactViaNetworkKnowledge1796313500000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "contact_attempt" ADD "client_knows" boolean');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "contact_attempt" DROP COLUMN "client_knows"');
  }
}
