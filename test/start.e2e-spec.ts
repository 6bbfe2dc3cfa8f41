import { afterAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, isRunning, postmasterPid as serverPid, runNode, runTool } from './support/processes.js';

/**
 * What a newcomer does first: start the gateway with no DATABASE_URL. It must boot an embedded
 * PostgreSQL, migrate, seed the demo partners, print how to get a token in readable logs, reuse
 * its data on the next start, and leave no server behind when stopped. A second clone on the
 * same machine, or a clone in root's private home, must work too.
 */
const root = process.cwd();
const dataDir = mkdtempSync(join(tmpdir(), 'schakel-start-'));
// As root the embedded server runs as the postgres user, which must be able to reach the directory.
chmodSync(dataDir, 0o755);
// Ports the OS reports free: a fixed range can collide with other test runs on the machine.
const pgPort = String(await freePort());
const httpPort = String(await freePort());
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

function postmasterPid(): number | undefined {
  return serverPid(join(dataDir, 'postgres'));
}

// Real gateway processes, sometimes two in one test: generous limits for a loaded 2-core CI machine.
const STARTS_MS = 180_000;

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

  it(
    'boots an embedded PostgreSQL, seeds the demo partners and serves a token-authenticated request',
    async () => {
      const gateway = startGateway();
      running = gateway.child;
      await waitReady(STARTS_MS);
      expect(gateway.output()).toContain('npm run token -- --partner');
      // Development logs are readable lines, and the banner is not buried under Nest's narration.
      expect(gateway.output()).not.toMatch(/^\{"level"/m);
      expect(gateway.output()).not.toContain('Mapped {');
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
        [join(root, 'dist/src/cli/token-cli.js'), '--partner', 'gateway-operator', '--role', 'gateway-admin'],
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
        [join(root, 'dist/src/cli/token-cli.js'), '--partner', 'demo-housing', '--role', 'referrer'],
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
    },
    STARTS_MS,
  );

  it('stops the gateway and the embedded server cleanly on SIGTERM, leaving no orphan', async () => {
    const pid = postmasterPid();
    expect(pid && isRunning(pid)).toBe(true);
    running!.kill('SIGTERM');
    expect(await exited(running!)).toBe(0);
    expect(isRunning(pid!)).toBe(false);
  });

  it(
    'reuses the data on the next start, and adopts the server of a gateway that was killed outright',
    async () => {
      const second = startGateway();
      running = second.child;
      await waitReady(STARTS_MS);
      expect(second.output()).not.toContain('initialising embedded PostgreSQL');
      expect(second.output()).not.toContain('seeded demo partners');

      const orphan = postmasterPid()!;
      running.kill('SIGKILL');
      await exited(running);
      expect(isRunning(orphan)).toBe(true);
      const third = startGateway();
      running = third.child;
      await waitReady(STARTS_MS);
      expect(third.output()).toContain('already running, shared');
      expect(postmasterPid()).toBe(orphan);
      running.kill('SIGINT');
      expect(await exited(running)).toBe(0);
      // Adopted, so stopped by its adopter: nothing is left running.
      expect(isRunning(orphan)).toBe(false);
      expect(postmasterPid()).toBeUndefined();
    },
    STARTS_MS,
  );

  it(
    'a second clone: a taken port is replaced by a free one and remembered; a taken EMBEDDED_PG_PORT is one clear line',
    async () => {
      const blocker = createServer();
      const taken = await freePort();
      await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
      try {
        // As if another clone's server held the port this clone remembered (or the default 54329).
        writeFileSync(join(dataDir, 'postgres.port'), `${taken}\n`);
        const { EMBEDDED_PG_PORT: _explicit, ...chooseForMe } = env;
        const show = await runTool('dist/src/cli/migration-cli.js', ['show'], chooseForMe);
        expect({ code: show.code, stdout: show.stdout }).toEqual({ code: 0, stdout: 'all migrations applied\n' });
        const remembered = Number(readFileSync(join(dataDir, 'postgres.port'), 'utf8'));
        expect(remembered).not.toBe(taken);
        expect(postmasterPid()).toBeUndefined(); // alone, the tool stopped the server it started

        const tool = await runTool('dist/src/cli/migration-cli.js', ['show'], {
          ...env,
          EMBEDDED_PG_PORT: String(taken),
        });
        expect(tool.code).toBe(1);
        expect(tool.output.trim().split('\n')).toEqual([expect.stringMatching(`^EMBEDDED_PG_PORT ${taken} is in use`)]);
        const gateway = runNode('dist/src/main.js', [], { ...env, EMBEDDED_PG_PORT: String(taken) });
        expect(await gateway.exited()).toBe(1);
        expect(gateway.output().trim().split('\n')).toEqual([
          expect.stringMatching(`FATAL gateway failed to start .*EMBEDDED_PG_PORT ${taken} is in use`),
        ]);
      } finally {
        blocker.close();
      }
    },
    STARTS_MS,
  );

  const asRoot = process.getuid?.() === 0;
  (asRoot ? it : it.skip)(
    'as root, works from a clone in a private directory such as /root: the cluster lives where postgres can reach it',
    async () => {
      const home = mkdtempSync(join(tmpdir(), 'schakel-home-'));
      chmodSync(home, 0o700);
      const cluster = join(home, '.data', 'postgres');
      try {
        const show = await runTool('dist/src/cli/migration-cli.js', ['show'], {
          ...env,
          DATA_DIR: join(home, '.data'),
          EMBEDDED_PG_PORT: String(await freePort()),
        });
        expect({ code: show.code, stdout: show.stdout }).toEqual({ code: 0, stdout: 'there are pending migrations\n' });
        expect(lstatSync(cluster).isSymbolicLink()).toBe(true);
        expect(readlinkSync(cluster)).toMatch(/^\/var\/lib\/schakel\/clusters\/[^/]+\/postgres$/);
        expect(serverPid(cluster)).toBeUndefined();
      } finally {
        try {
          rmSync(dirname(readlinkSync(cluster)), { recursive: true, force: true });
        } catch {
          // never got that far
        }
        rmSync(home, { recursive: true, force: true });
      }
    },
    STARTS_MS,
  );

  it('refuses the token command in production', () => {
    expect(() =>
      execFileSync(
        process.execPath,
        [join(root, 'dist/src/cli/token-cli.js'), '--partner', 'demo-housing', '--role', 'referrer'],
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
