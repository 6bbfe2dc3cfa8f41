import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The access log in less disk, saying the same (issue 12: 10 million entries within 8 GB):
 *
 * - the entry's SHA-256 values — its hash, the disclosure's hash, the client's pseudonym — as
 *   32 bytes (`bytea`) instead of 64 hex characters; everything that reads them still gets hex;
 * - the chain link keeps its position, its entry and its hash. The entry's hash it copied is the
 *   entry's own column, and the previous hash is the previous link's: verification recomputes
 *   every link hash from those two, so the copies added nothing a forger could not rewrite too;
 * - no separate index on the link's position: the primary key (position, entry_seq) serves it.
 *
 * Rewrites both tables once (ALTER … TYPE); existing hashes keep their values.
 */
export class AccessLogCompactStorage1796500000000 implements MigrationInterface {
  name = 'AccessLogCompactStorage1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX IF EXISTS "access_log_link_position_idx"');
    await queryRunner.query(
      `ALTER TABLE access_log_link DROP COLUMN entry_hash, DROP COLUMN prev_hash,
         ALTER COLUMN hash TYPE bytea USING decode(hash::text, 'hex')`,
    );
    await queryRunner.query(
      `ALTER TABLE access_log_entry
         ALTER COLUMN client_ref TYPE bytea USING decode(client_ref::text, 'hex'),
         ALTER COLUMN disclosure_sha256 TYPE bytea USING decode(disclosure_sha256::text, 'hex'),
         ALTER COLUMN entry_hash TYPE bytea USING decode(entry_hash::text, 'hex')`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE access_log_entry
         ALTER COLUMN client_ref TYPE character(64) USING encode(client_ref, 'hex'),
         ALTER COLUMN disclosure_sha256 TYPE character(64) USING encode(disclosure_sha256, 'hex'),
         ALTER COLUMN entry_hash TYPE character(64) USING encode(entry_hash, 'hex')`,
    );
    await queryRunner.query(
      `ALTER TABLE access_log_link ALTER COLUMN hash TYPE character(64) USING encode(hash, 'hex'),
         ADD COLUMN entry_hash character(64), ADD COLUMN prev_hash character(64)`,
    );
    await queryRunner.query('ALTER TABLE access_log_link DISABLE TRIGGER access_log_link_no_update_delete');
    await queryRunner.query(
      `UPDATE access_log_link l SET entry_hash = e.entry_hash,
              prev_hash = coalesce((SELECT p.hash FROM access_log_link p WHERE p.position = l.position - 1),
                                (SELECT c.head_hash FROM access_log_checkpoint c WHERE c.position = l.position - 1 LIMIT 1), repeat('0', 64))
         FROM access_log_entry e WHERE e.seq = l.entry_seq`,
    );
    await queryRunner.query('ALTER TABLE access_log_link ENABLE TRIGGER access_log_link_no_update_delete');
    await queryRunner.query(
      'ALTER TABLE access_log_link ALTER COLUMN entry_hash SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL',
    );
    await queryRunner.query('CREATE INDEX "access_log_link_position_idx" ON "access_log_link" ("position")');
  }
}
