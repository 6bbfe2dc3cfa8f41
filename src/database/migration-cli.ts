import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { createLogger } from '../common/logging/logger.js';
import { loadConfig } from '../config/config.js';
import { openDatabase } from './open-database.js';

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

/** `npm run migration:run | migration:revert | migration:show | migration:generate -- <Name>` */
async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const database = await openDatabase(config, logger, 'schakel-migrations');
  const { dataSource } = database;
  try {
    switch (command) {
      case 'run': {
        const applied = await dataSource.runMigrations({ transaction: 'each' });
        process.stdout.write(
          applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}\n` : 'no pending migrations\n',
        );
        break;
      }
      case 'revert':
        await dataSource.undoLastMigration({ transaction: 'each' });
        process.stdout.write('reverted the last migration\n');
        break;
      case 'show': {
        const pending = await dataSource.showMigrations();
        process.stdout.write(pending ? 'there are pending migrations\n' : 'all migrations applied\n');
        break;
      }
      case 'generate': {
        if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name))
          throw new Error('usage: npm run migration:generate -- <PascalCaseName>');
        await dataSource.runMigrations({ transaction: 'each' });
        const { up, down } = await pendingSchemaChanges(dataSource);
        if (up.length === 0) {
          process.stdout.write('entities and migrations agree: nothing to generate\n');
          break;
        }
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
        process.stdout.write(
          `wrote migrations/${file}.ts and registered it in migrations/index.ts; review it before committing\n`,
        );
        break;
      }
      default:
        throw new Error('usage: migration-cli run | revert | show | generate <Name>');
    }
  } finally {
    await database.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
