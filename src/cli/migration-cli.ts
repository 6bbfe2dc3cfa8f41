import { loadConfig } from '../config/config.js';
import { generateMigration } from '../database/migration-files.js';
import { runCli } from './run-cli.js';
import { withDatabase } from './cli-database.js';

const USAGE = 'usage: npm run migration:run | migration:revert | migration:show | migration:generate -- <Name>';

/** `npm run migration:run | migration:revert | migration:show | migration:generate -- <Name>` */
async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  if (!['run', 'revert', 'show', 'generate'].includes(command ?? '')) throw new Error(USAGE);
  const config = loadConfig();
  const message = await withDatabase(config, 'schakel-migrations', async ({ dataSource }) => {
    switch (command) {
      case 'run': {
        const applied = await dataSource.runMigrations({ transaction: 'each' });
        return applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'no pending migrations';
      }
      case 'revert':
        await dataSource.undoLastMigration({ transaction: 'each' });
        return 'reverted the last migration';
      case 'show':
        return (await dataSource.showMigrations()) ? 'there are pending migrations' : 'all migrations applied';
      default: {
        const file = await generateMigration(dataSource, name ?? '');
        return file
          ? `wrote ${file} and registered it in migrations/index.ts; review it before committing`
          : 'entities and migrations agree: nothing to generate';
      }
    }
  });
  process.stdout.write(`${message}\n`);
}

runCli(main);
