import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, dropTestDatabase } from './support/test-context.js';

/**
 * A malformed policy stops the gateway from starting, with the file, the line and the rule at
 * fault; `npm run policies:check` / `policies:test` (the compiled CLI) say the same without
 * starting anything. Runs the compiled JS, as npm start and the npm scripts do.
 */
const root = process.cwd();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function policyWith(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'policy-start-'));
  dirs.push(dir);
  cpSync(join(root, 'policies'), dir, { recursive: true });
  writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

function run(
  script: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 45_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(process.execPath, [join(root, script), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not stop: ${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

// A rule that names a role roles.yaml does not define.
const unknownRole = () =>
  policyWith('rules.yaml', (t) =>
    t.replace(
      'roles: [privacy-officer]\n    actions: [verify]',
      'roles: [privacy-officer, auditor]\n    actions: [verify]',
    ),
  );
const lineOf = (dir: string, needle: string) =>
  readFileSync(join(dir, 'rules.yaml'), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(needle)) + 1;

describe('a malformed policy', () => {
  it('stops the gateway from starting, naming file, line and rule', async () => {
    const dir = unknownRole();
    const databaseUrl = await createTestDatabase();
    try {
      const { code, output } = await run('dist/src/main.js', [], {
        DATABASE_URL: databaseUrl,
        POLICIES_DIR: dir,
        PORT: '0',
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        SEED_DEMO_PARTNERS: 'false',
      });
      expect(code).toBe(1);
      const fatal = output.split('\n').filter((l) => l.includes('gateway failed to start'));
      expect(fatal).toHaveLength(1);
      expect(JSON.parse(fatal[0]).err.message).toBe(
        `policies/rules.yaml:${lineOf(dir, 'auditor')} (rule privacy-officer-verifies-access-log): unknown role "auditor"`,
      );
      expect(output).not.toContain('is running at');
    } finally {
      await dropTestDatabase(databaseUrl);
    }
  });

  it('fails npm run policies:check with the same message, and passes the shipped policy', async () => {
    const dir = unknownRole();
    const bad = await run('dist/src/cli/policies-cli.js', ['check'], { POLICIES_DIR: dir });
    expect(bad).toEqual({
      code: 2,
      output: `policies/rules.yaml:${lineOf(dir, 'auditor')} (rule privacy-officer-verifies-access-log): unknown role "auditor"\n`,
    });
    const good = await run('dist/src/cli/policies-cli.js', ['check'], { POLICIES_DIR: join(root, 'policies') });
    expect(good.code).toBe(0);
    expect(good.output).toMatch(
      /^policy sha256:[0-9a-f]{64}: 13 purposes, \d+ roles, \d+ categories, \d+ rules — valid\n$/,
    );
  });

  it('fails npm run policies:test on a failing row and on a rule no row exercises', async () => {
    const failing = policyWith('tests/default.yaml', (t) =>
      t.replace(
        'purpose: administration, action: create, resource: Partner, facts: { operator: true }, expect: permit',
        'purpose: administration, action: create, resource: Partner, facts: { operator: true }, expect: deny',
      ),
    );
    const failed = await run('dist/src/cli/policies-cli.js', ['test'], { POLICIES_DIR: failing });
    expect(failed.code).toBe(1);
    expect(failed.output).toMatch(
      /FAIL policies\/tests\/default\.yaml:\d+: admin registers a partner\n {2}expected deny, got permit \[\] \(rule gateway-admin-manages-partners\)/,
    );

    const uncovered = policyWith('rules.yaml', (t) =>
      t.replace(
        '  # --- oversight',
        '  - id: partner-admin-reads-partners\n    roles: [partner-admin]\n    actions: [read]\n    subject: Partner\n    purposes: [administration]\n\n  # --- oversight',
      ),
    );
    const report = await run('dist/src/cli/policies-cli.js', ['test'], { POLICIES_DIR: uncovered });
    expect(report.code).toBe(1);
    expect(report.output).toMatch(
      /UNCOVERED rule partner-admin-reads-partners \(policies\/rules\.yaml:\d+\): 0 permit rows, \d+ deny rows/,
    );

    const shipped = await run('dist/src/cli/policies-cli.js', ['test'], { POLICIES_DIR: join(root, 'policies') });
    expect(shipped.code).toBe(0);
    expect(shipped.output).toMatch(/decision tables: \d+ passed, 0 failed; 0 rules uncovered/);
  });
});
