import { parseArgs } from 'node:util';
import { importJWK, SignJWT } from 'jose';
import { loadConfig } from '../config/config.js';
import { DEMO_PARTNERS, demoIssuer } from '../partners/demo/demo-partners.js';
import { readDevKeys } from '../partners/demo/dev-keys.js';
import { runCli } from './run-cli.js';

/** `npm run token -- --partner demo-housing --role referrer`: a development token for a demo partner. */
async function main(): Promise<void> {
  if (process.env.NODE_ENV === 'production') {
    throw new Error(
      "npm run token is refused when NODE_ENV=production: tokens come from the partner's own identity provider",
    );
  }
  const config = loadConfig();
  const { values } = parseArgs({
    options: {
      partner: { type: 'string' },
      role: { type: 'string', multiple: true },
      profession: { type: 'string' },
      sub: { type: 'string' },
      name: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
    },
  });
  const usage =
    'usage: npm run token -- --partner <id> --role <role> [--role <role>] [--profession <p>] [--sub <user>] [--ttl <seconds>]';
  if (!values.partner || !values.role?.length) throw new Error(usage);
  if (!DEMO_PARTNERS.some((p) => p.id === values.partner)) {
    throw new Error(`unknown demo partner "${values.partner}"; one of: ${DEMO_PARTNERS.map((p) => p.id).join(', ')}`);
  }
  const key = readDevKeys(config.dataDir)[values.partner];
  if (!key)
    throw new Error(`no development key for ${values.partner} in ${config.dataDir}: run "npm start" once first`);
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 3600) throw new Error('--ttl must be 1 to 3600 seconds');
  const token = await new SignJWT({
    roles: values.role,
    ...(values.profession ? { profession: values.profession } : {}),
    ...(values.name ? { name: values.name } : {}),
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(demoIssuer(values.partner))
    .setAudience(config.auth.audience)
    .setSubject(values.sub ?? `${values.partner}-demo-user`)
    .setIssuedAt()
    .setExpirationTime(`${ttl}s`)
    .sign(await importJWK(key.privateJwk, key.alg));
  process.stdout.write(`${token}\n`);
}

runCli(main);
