import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { importJWK } from 'jose';
import { ALLOWED_ALGORITHMS } from '../common/jose-algorithms.js';
import { loadConfig } from '../config/config.js';
import type { PublicJwk } from '../partners/partner.entity.js';
import { awaitPartnerChangePropagation } from '../partners/partner-change-barrier.js';
import { PartnersRepository } from '../partners/partners.repository.js';
import { withDatabase } from './cli-database.js';
import { runCli } from './run-cli.js';

const USAGE =
  'usage: npm run operator:register -- --id <slug> --name <name> --issuer <url> (--jwks-file <file.json> | --jwks-uri <url>)\n' +
  '  Registers (or updates) the network operator: the one partner whose tokens may carry network-wide powers.';

/**
 * The root of trust of a network: who the operator is cannot be decided by a token or through
 * the API (that would let any administrator move network powers), so it is set here, by whoever
 * holds the database owner's rights. Once registered, the operator's gateway administrators
 * register every other partner through the API (and that is logged).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      id: { type: 'string' },
      name: { type: 'string' },
      issuer: { type: 'string' },
      'jwks-file': { type: 'string' },
      'jwks-uri': { type: 'string' },
    },
  });
  if (!values.id || !values.name || !values.issuer || Boolean(values['jwks-file']) === Boolean(values['jwks-uri']))
    throw new Error(USAGE);
  if (!/^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/.test(values.id))
    throw new Error('--id must be a slug of 3 to 64 lowercase letters, digits and dashes');
  let jwks: { keys: PublicJwk[] } | null = null;
  if (values['jwks-file']) {
    jwks = JSON.parse(readFileSync(values['jwks-file'], 'utf8')) as { keys: PublicJwk[] };
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0)
      throw new Error('the key file must hold a JWK set: { "keys": [ … ] }');
    for (const key of jwks.keys) {
      if (['d', 'p', 'q', 'k'].some((member) => member in key))
        throw new Error('the key file holds private or symmetric key material: register public keys only');
      if (
        typeof key.kid !== 'string' ||
        typeof key.alg !== 'string' ||
        !(ALLOWED_ALGORITHMS as readonly string[]).includes(key.alg)
      ) {
        throw new Error(`every key needs a kid and an alg of ${ALLOWED_ALGORITHMS.join(', ')}`);
      }
      await importJWK(key, key.alg);
    }
  }

  const { id, name, issuer } = values;
  const config = loadConfig();
  const saved = await withDatabase(config, 'schakel-operator-cli', async ({ dataSource }) => {
    if (await dataSource.showMigrations())
      throw new Error(
        'the database schema is not up to date: run "npm run migration:run" (or start the gateway once) first',
      );
    const partners = new PartnersRepository(dataSource);
    const current = await partners.findOperator();
    if (current && current.id !== id) {
      throw new Error(`the network already has an operator ("${current.id}"); a network has exactly one`);
    }
    const registered = await partners.registerOperator({
      id,
      name,
      issuer,
      jwks,
      jwksUri: values['jwks-uri'] ?? null,
    });
    // Running gateways hold the registry in memory: return only once each has seen the change.
    const { unconfirmed } = await awaitPartnerChangePropagation({
      connectionString: (dataSource.options as { url?: string }).url,
    });
    if (unconfirmed.length > 0)
      process.stderr.write(
        `warning: ${unconfirmed.length} gateway replica(s) did not confirm the change in time; they ask the database once their notification connection is declared lost\n`,
      );
    return registered;
  });
  process.stdout.write(`${JSON.stringify({ operator: saved.id, issuer: saved.issuer, status: saved.status })}\n`);
}

runCli(main);
