// Runs outside Jest's module system, so it loads the compiled wrapper (npm test builds first).
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../dist/src/database/embedded-postgres.js';

const quiet = { info: () => undefined, debug: () => undefined, warn: (o, m) => console.warn(m ?? o) };

/**
 * One PostgreSQL for the whole run: DATABASE_URL's server when given, else an embedded one in
 * .data/test-postgres. Each suite then creates its own database on it (see test-context.ts).
 */
export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.SCHAKEL_TEST_ADMIN_URL = process.env.DATABASE_URL;
    return;
  }
  // Without TEST_EMBEDDED_PG_PORT the port remembered beside the cluster (or a free one) is used,
  // so runs in several clones on one machine do not collide.
  const port = process.env.TEST_EMBEDDED_PG_PORT ? Number(process.env.TEST_EMBEDDED_PG_PORT) : undefined;
  const embedded = await startEmbeddedPostgres({
    dataDir: join(process.cwd(), '.data', 'test-postgres'),
    port,
    applicationName: 'schakel-tests',
    database: 'schakel_test',
    logger: quiet,
  });
  globalThis.__SCHAKEL_EMBEDDED__ = embedded;
  process.env.SCHAKEL_TEST_ADMIN_URL = embedded.adminUrl;
}
