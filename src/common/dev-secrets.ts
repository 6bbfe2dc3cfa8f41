import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * A secret that production must configure, made once per machine outside production and kept
 * in the data directory (mode 0600) so development restarts keep the same value.
 */
export async function developmentSecret(
  dataDir: string,
  name: string,
  make: () => Promise<string> | string,
): Promise<string> {
  const file = join(dataDir, `${name}.secret`);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = await make();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return value;
}
