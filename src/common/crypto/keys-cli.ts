import 'reflect-metadata';
import { createLogger } from '../logging/logger.js';
import { loadConfig } from '../../config/config.js';
import { openDatabase } from '../../database/open-database.js';
import { loadCrypto } from './crypto.module.js';
import { rotateSealedValues } from './key-rotation.repository.js';

/** `npm run keys:rotate`: put the new key first in ENCRYPTION_KEYS, keep the old ones, run this, then drop the old ones. */
async function main(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config, createLogger('warn'), 'schakel-keys-rotate');
  try {
    const { cipher } = await loadCrypto(config);
    const counts = await rotateSealedValues(database.dataSource, cipher);
    process.stdout.write(`${JSON.stringify({ activeKey: cipher.activeKid, resealedRows: counts })}\n`);
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
