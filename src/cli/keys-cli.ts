import { loadCrypto } from '../common/crypto/crypto.module.js';
import { rotateSealedValues } from '../common/crypto/key-rotation.repository.js';
import { loadConfig } from '../config/config.js';
import { runCli } from './run-cli.js';
import { withDatabase } from './cli-database.js';

/** `npm run keys:rotate`: put the new key first in ENCRYPTION_KEYS, keep the old ones, run this, then drop the old ones. */
async function main(): Promise<void> {
  const config = loadConfig();
  const { cipher } = await loadCrypto(config);
  const counts = await withDatabase(config, 'schakel-keys-rotate', ({ dataSource }) =>
    rotateSealedValues(dataSource, cipher),
  );
  process.stdout.write(`${JSON.stringify({ activeKey: cipher.activeKid, resealedRows: counts })}\n`);
}

runCli(main);
