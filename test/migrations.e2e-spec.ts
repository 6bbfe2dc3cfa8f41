import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/data-source.js';
import { pendingSchemaChanges } from '../src/database/migration-files.js';
import { MIGRATIONS } from '../migrations/index.js';
import { createTestDatabase, dropTestDatabase, testConfig } from './support/test-context.js';

/** The schema comes only from migrations; entities and migrations must never drift apart. */
describe('migrations', () => {
  let url: string;
  let dataSource: DataSource;

  beforeAll(async () => {
    url = await createTestDatabase();
    dataSource = createDataSource(url, testConfig(url));
    await dataSource.initialize();
  });
  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    if (url) await dropTestDatabase(url);
  });

  it('never synchronises the schema from entities', () => {
    expect(dataSource.options.synchronize).toBe(false);
    expect(dataSource.options.migrationsRun).toBe(false);
  });

  it('applies every migration on an empty database, after which entities and schema agree', async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    expect(applied.map((m) => m.name)).toEqual(MIGRATIONS.map((M) => new M().name ?? M.name));
    const drift = await pendingSchemaChanges(dataSource);
    // Non-empty means an entity changed without a migration: run `npm run migration:generate -- <Name>`.
    expect(drift.up).toEqual([]);
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it('reverts every migration and applies them again', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
    const tables = await dataSource.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migration'`,
    );
    expect(tables[0].n).toBe(0);
    await dataSource.runMigrations({ transaction: 'each' });
    expect((await pendingSchemaChanges(dataSource)).up).toEqual([]);
  });
});
