import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';

/** The SQL that would bring the database in line with the entities; empty when nothing drifted. */
export async function pendingSchemaChanges(dataSource: DataSource): Promise<{ up: string[]; down: string[] }> {
  const log = await dataSource.driver.createSchemaBuilder().log();
  return {
    up: log.upQueries.map((q) => q.query),
    down: log.downQueries.map((q) => q.query).reverse(),
  };
}

function migrationSource(className: string, up: string[], down: string[]): string {
  const lines = (queries: string[]) =>
    queries.map((q) => `    await queryRunner.query(${JSON.stringify(q)});`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  public async up(queryRunner: QueryRunner): Promise<void> {
${lines(up)}
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
${lines(down)}
  }
}
`;
}

/**
 * Applies the pending migrations, diffs the entities against the result and, when they drifted,
 * writes migrations/<timestamp>-<name>.ts and registers it in migrations/index.ts. Returns the
 * file written, or undefined when entities and migrations agree.
 */
export async function generateMigration(dataSource: DataSource, name: string): Promise<string | undefined> {
  if (!/^[A-Z][A-Za-z0-9]+$/.test(name)) throw new Error('usage: npm run migration:generate -- <PascalCaseName>');
  await dataSource.runMigrations({ transaction: 'each' });
  const { up, down } = await pendingSchemaChanges(dataSource);
  if (up.length === 0) return undefined;
  const timestamp = Date.now();
  const className = `${name}${timestamp}`;
  const file = `${timestamp}-${name}`;
  writeFileSync(join('migrations', `${file}.ts`), migrationSource(className, up, down));
  const indexPath = join('migrations', 'index.ts');
  const index = readFileSync(indexPath, 'utf8')
    .replace(
      /(import type \{ MigrationInterface \} from 'typeorm';\n)/,
      `$1import { ${className} } from './${file}.js';\n`,
    )
    .replace(
      /\[([^\]]*)\];\s*$/,
      (_m, list: string) => `[${list.trim() ? `${list.trim().replace(/,$/, '')}, ` : ''}${className}];\n`,
    );
  writeFileSync(indexPath, index);
  return `migrations/${file}.ts`;
}
