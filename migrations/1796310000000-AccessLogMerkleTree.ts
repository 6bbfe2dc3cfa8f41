import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLES = ['access_log_tree_node', 'access_log_tree_head'];

/**
 * The Merkle tree over the chained entries (RFC 9162), in tables of its own beside the chain:
 * `access_log_tree_node` holds the hash of every complete subtree (2^level leaves from leaf
 * index × 2^level; level 0 are the leaves, leaf index = chain position − 1), so any proof takes
 * O(log n) rows; `access_log_tree_head` holds the signed tree heads. Append-only like the log.
 */
export class AccessLogMerkleTree1796310000000 implements MigrationInterface {
  name = 'AccessLogMerkleTree1796310000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE TABLE "access_log_tree_node" ("level" smallint NOT NULL, "idx" bigint NOT NULL, "hash" bytea NOT NULL, CONSTRAINT "access_log_tree_node_pkey" PRIMARY KEY ("level", "idx"))',
    );
    await queryRunner.query(
      'CREATE TABLE "access_log_tree_head" ("id" BIGSERIAL NOT NULL, "tree_size" bigint NOT NULL, "root_hash" character(64) NOT NULL, "chain_hash" character(64) NOT NULL, "signed_at" TIMESTAMP WITH TIME ZONE NOT NULL, "kid" character varying(100) NOT NULL, "jws" text NOT NULL, CONSTRAINT "access_log_tree_head_pkey" PRIMARY KEY ("id"))',
    );
    await queryRunner.query(
      'CREATE INDEX "access_log_tree_head_size_idx" ON "access_log_tree_head" ("tree_size", "id")',
    );
    for (const table of TABLES) {
      await queryRunner.query(
        `CREATE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION access_log_refuse_change()`,
      );
      await queryRunner.query(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change()`,
      );
    }
    await queryRunner.query(`DO $$
      DECLARE grantee_name text;
      BEGIN
        FOR grantee_name IN
          SELECT DISTINCT grantee FROM information_schema.role_table_grants
           WHERE table_schema = current_schema() AND table_name IN ('access_log_tree_node', 'access_log_tree_head')
             AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE') AND grantee <> current_user
        LOOP
          EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON access_log_tree_node, access_log_tree_head FROM %I', grantee_name);
        END LOOP;
      END $$`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE "access_log_tree_head"');
    await queryRunner.query('DROP TABLE "access_log_tree_node"');
  }
}
