import { afterAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What a newcomer does first: start the gateway with no DATABASE_URL. It must boot an embedded
 * PostgreSQL, migrate, seed the demo partners, print how to get a token, reuse its data on the
 * next start, and leave no server behind when stopped.
 */
const root = process.cwd();
const dataDir = mkdtempSync(join(tmpdir(), 'schakel-start-'));
// As root the embedded server runs as the postgres user, which must be able to reach the directory.
chmodSync(dataDir, 0o755);
const pgPort = String(54350 + Math.floor(Math.random() * 40));
const httpPort = String(3900 + Math.floor(Math.random() * 90));
const env = {
  ...process.env,
  DATABASE_URL: '',
  DATA_DIR: dataDir,
  EMBEDDED_PG_PORT: pgPort,
  PORT: httpPort,
  NODE_ENV: 'development',
  LOG_LEVEL: 'info',
};
const base = `http://127.0.0.1:${httpPort}`;

function startGateway(): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [join(root, 'dist/src/main.js')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

async function waitReady(timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      if ((await fetch(`${base}/health/ready`)).status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('gateway did not become ready');
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function postmasterPid(): number | undefined {
  const file = join(dataDir, 'postgres', 'postmaster.pid');
  return existsSync(file) ? Number.parseInt(readFileSync(file, 'utf8').split('\n')[0], 10) : undefined;
}

describe('npm start with no DATABASE_URL', () => {
  let running: ChildProcess | undefined;
  afterAll(async () => {
    if (running && running.exitCode === null) {
      running.kill('SIGTERM');
      await exited(running);
    }
    const pid = postmasterPid();
    if (pid && isRunning(pid)) process.kill(pid, 'SIGINT');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('boots an embedded PostgreSQL, seeds the demo partners and serves a token-authenticated request', async () => {
    const gateway = startGateway();
    running = gateway.child;
    await waitReady(60_000);
    expect(gateway.output()).toContain('npm run token -- --partner');
    expect(gateway.output()).toContain(`${base}/docs`.replace('127.0.0.1', '127.0.0.1'));

    // The console is served from src/console/assets by the compiled process too.
    expect(gateway.output()).toContain(`${base}/console`);
    const consoleScript = await fetch(`${base}/console/console.js`);
    expect(consoleScript.status).toBe(200);
    expect(consoleScript.headers.get('content-type')).toContain('text/javascript');

    const docs = await fetch(`${base}/docs`);
    expect(docs.status).toBe(200);
    const docsPage = await docs.text();
    expect(docsPage).toContain('swagger');
    // No inline script: every script of the page is a file, and the policy forbids inline ones.
    const scripts = docsPage.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.filter((tag) => !/\bsrc=/.test(tag))).toEqual([]);
    expect(docs.headers.get('content-security-policy')).toMatch(/(^|;)script-src 'self'(;|$)/);
    expect((await fetch(`${base}/docs/swagger-ui-init.js`)).status).toBe(200);
    const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(openapi.paths)).toContain('/v1/partners');
    expect(openapi.components.securitySchemes['partner-jwt']).toBeDefined();

    const token = execFileSync(
      process.execPath,
      [join(root, 'dist/src/auth/token-cli.js'), '--partner', 'gateway-operator', '--role', 'gateway-admin'],
      { cwd: root, env },
    )
      .toString()
      .trim();
    const partners = await fetch(`${base}/v1/partners`, {
      headers: { authorization: `Bearer ${token}`, 'x-purpose': 'administration' },
    });
    expect(partners.status).toBe(200);
    const ids = ((await partners.json()) as { items: { id: string }[] }).items.map((p) => p.id).sort();
    expect(ids).toEqual([
      'demo-caw',
      'demo-gp',
      'demo-housing',
      'demo-ocmw',
      'demo-outreach',
      'demo-rental-agency',
      'gateway-operator',
    ]);
    expect(gateway.output()).not.toContain(token.split('.')[2]);

    // The demo network comes with its agreements: the housing company can refer to the outreach team at once.
    const referrer = execFileSync(
      process.execPath,
      [join(root, 'dist/src/auth/token-cli.js'), '--partner', 'demo-housing', '--role', 'referrer'],
      { cwd: root, env },
    )
      .toString()
      .trim();
    const session = (await (
      await fetch(`${base}/v1/session`, { headers: { authorization: `Bearer ${referrer}` } })
    ).json()) as { referralTargets: { id: string }[] };
    expect(session.referralTargets.map((t) => t.id)).toEqual(['demo-outreach']);
    const referral = await fetch(`${base}/v1/referrals`, {
      method: 'POST',
      headers: { authorization: `Bearer ${referrer}`, 'x-purpose': 'referral', 'content-type': 'application/json' },
      body: JSON.stringify({
        targetPartnerId: 'demo-outreach',
        tenant: { givenName: 'Demo' },
        signals: ['rent-arrears'],
        evictionStage: 'considered',
        tenantInformed: 'yes',
        contact: { name: 'Demo' },
      }),
    });
    expect(referral.status).toBe(201);
  });

  it('stops the gateway and the embedded server cleanly on SIGTERM, leaving no orphan', async () => {
    const pid = postmasterPid();
    expect(pid && isRunning(pid)).toBe(true);
    running!.kill('SIGTERM');
    expect(await exited(running!)).toBe(0);
    expect(isRunning(pid!)).toBe(false);
  });

  it('reuses the data on the next start and recovers from a gateway that was killed outright', async () => {
    const second = startGateway();
    running = second.child;
    await waitReady(60_000);
    expect(second.output()).not.toContain('initialising embedded PostgreSQL');
    expect(second.output()).not.toContain('seeded demo partners');

    const orphan = postmasterPid()!;
    running.kill('SIGKILL');
    await exited(running);
    const third = startGateway();
    running = third.child;
    await waitReady(60_000);
    expect(postmasterPid()).not.toBe(orphan);
    expect(isRunning(orphan)).toBe(false);
    running.kill('SIGINT');
    expect(await exited(running)).toBe(0);
  });

  it('refuses the token command in production', () => {
    expect(() =>
      execFileSync(
        process.execPath,
        [join(root, 'dist/src/auth/token-cli.js'), '--partner', 'demo-housing', '--role', 'referrer'],
        {
          cwd: root,
          env: {
            ...env,
            NODE_ENV: 'production',
            DATABASE_URL: 'postgres://x@127.0.0.1/none',
            SEED_DEMO_PARTNERS: 'false',
          },
          stdio: 'pipe',
        },
      ),
    ).toThrow(/refused when NODE_ENV=production/);
  });
});
