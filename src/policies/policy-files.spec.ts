import { afterEach, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicySet, PolicyError } from './policy-files.js';

const shipped = join(process.cwd(), 'policies');
let dirs: string[] = [];

/** A copy of the shipped policy with one file edited. */
function policyWith(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));
  dirs.push(dir);
  cpSync(shipped, dir, { recursive: true });
  writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

function errorOf(dir: string): PolicyError {
  try {
    loadPolicySet(dir);
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error('the policy loaded, but should have been refused');
}

const lineOf = (dir: string, file: string, needle: string) =>
  readFileSync(join(dir, file), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(needle)) + 1;

describe('policy loading', () => {
  afterEach(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    dirs = [];
  });

  it('accepts the shipped policy and fingerprints it', () => {
    const policy = loadPolicySet(shipped);
    expect(policy.version).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(policy.purposes.map((p) => p.id)).toEqual(
      expect.arrayContaining([
        'referral',
        'eviction-prevention',
        'outreach-contact',
        'care-coordination',
        'duo-follow-up',
        'case-consultation',
        'warm-handover',
        'crisis',
        'statistics',
        'privacy-audit',
        'subject-access',
        'administration',
      ]),
    );
    expect(policy.roles.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'referrer',
        'caseworker',
        'coordinator',
        'psychiatrist',
        'privacy-officer',
        'partner-admin',
        'gateway-admin',
        'partner-system',
      ]),
    );
    expect(loadPolicySet(shipped).version).toBe(policy.version);
  });

  it('changes the version when any rule changes', () => {
    const dir = policyWith('rules.yaml', (t) =>
      t.replace(
        'Gateway administrators record cooperation agreements, and suspend or end them.',
        'Administrators record agreements.',
      ),
    );
    expect(loadPolicySet(dir).version).not.toBe(loadPolicySet(shipped).version);
  });

  it('refuses bad YAML with the line', () => {
    const dir = policyWith('purposes.yaml', (t) => t.replace('  - id: crisis', '  - id: crisis\n   bad: [unclosed'));
    const error = errorOf(dir);
    expect(error.file).toBe('purposes.yaml');
    expect(error.message).toMatch(/not valid YAML/);
    expect(error.line).toBeGreaterThan(0);
  });

  it('refuses an unknown field, naming it, the file, the line and the rule', () => {
    const dir = policyWith('rules.yaml', (t) =>
      t.replace('  - id: caw-duo-follow-up\n', '  - id: caw-duo-follow-up\n    colour: blue\n'),
    );
    const error = errorOf(dir);
    expect(error).toMatchObject({
      file: 'rules.yaml',
      ruleId: 'caw-duo-follow-up',
      line: lineOf(dir, 'rules.yaml', 'colour: blue'),
    });
    expect(error.message).toMatch(/unknown field "colour"/);
  });

  it('refuses an unknown purpose in a rule', () => {
    const dir = policyWith('rules.yaml', (t) =>
      t.replace('purposes: [duo-follow-up, eviction-prevention]', 'purposes: [duo-follow-up, gossip]'),
    );
    const error = errorOf(dir);
    expect(error).toMatchObject({ file: 'rules.yaml', ruleId: 'caw-duo-follow-up' });
    expect(error.message).toMatch(/unknown purpose "gossip"/);
    expect(error.line).toBe(lineOf(dir, 'rules.yaml', 'gossip'));
  });

  it('refuses an unknown category in a rule', () => {
    const dir = policyWith('rules.yaml', (t) => t.replace('categories: [safety]', 'categories: [safety, horoscope]'));
    expect(errorOf(dir).message).toMatch(
      /rules\.yaml:\d+ \(rule visiting-staff-see-safety-flags\): unknown category "horoscope"/,
    );
  });

  it('refuses an operator outside the allow-list', () => {
    const dir = policyWith('rules.yaml', (t) => t.replace('inCircle: { eq: true }', 'inCircle: { regex: ".*" }'));
    const error = errorOf(dir);
    expect(error.file).toBe('rules.yaml');
    expect(error.message).toMatch(/unknown field "regex"/);
    expect(error.ruleId).toBeDefined();
  });

  it('refuses a condition on a fact the gateway does not know', () => {
    const dir = policyWith('rules.yaml', (t) => t.replace('breakTheGlass: { eq: true }', 'moonPhase: { eq: full }'));
    expect(errorOf(dir)).toMatchObject({ ruleId: 'crisis-only-through-break-the-glass' });
  });

  it('refuses a rule that references a missing role', () => {
    const dir = policyWith('roles.yaml', (t) => t.replace(/ {2}- id: psychiatrist\n( {4}.*\n)+?(?= {2}- id:)/, ''));
    const error = errorOf(dir);
    expect(error.message).toMatch(/unknown role "psychiatrist"/);
    expect(error.file).toBe('rules.yaml');
  });

  it('refuses a category without its label in all three languages', () => {
    const dir = policyWith('categories.yaml', (t) =>
      t.replace(
        'label: { nl: "uw woonsituatie", fr: "votre situation de logement", en: "your housing situation" }',
        'label: { nl: "uw woonsituatie", en: "your housing situation" }',
      ),
    );
    const error = errorOf(dir);
    expect(error.file).toBe('categories.yaml');
    expect(error.message).toMatch(/fr/);
  });

  it('refuses an unknown action or subject (closed lists)', () => {
    expect(
      errorOf(
        policyWith('rules.yaml', (t) =>
          t.replace('actions: [create, read, update]', 'actions: [create, read, obliterate]'),
        ),
      ).message,
    ).toMatch(/actions/);
    expect(
      errorOf(policyWith('rules.yaml', (t) => t.replace('subject: Statistics', 'subject: Horoscope'))).message,
    ).toMatch(/subject/);
  });

  it('refuses duplicate rule ids and a missing translation', () => {
    expect(
      errorOf(policyWith('rules.yaml', (t) => t.replace('id: ocmw-social-support', 'id: caw-duo-follow-up'))).message,
    ).toMatch(/duplicate id "caw-duo-follow-up"/);
    expect(errorOf(policyWith('purposes.yaml', (t) => t.replace(/ {6}fr: Contrôle par[^\n]*\n/, ''))).message).toMatch(
      /fr/,
    );
  });

  it('refuses a switch value the network has not defined', () => {
    expect(
      errorOf(
        policyWith('network.yaml', (t) =>
          t.replace('referralOfUninformedTenant: refuse', 'referralOfUninformedTenant: sometimes'),
        ),
      ).file,
    ).toBe('network.yaml');
  });

  it('refuses an anomaly kind outside the closed list, and a rule missing or misplacing its parameters', () => {
    const unknownKind = errorOf(
      policyWith('anomalies.yaml', (t) => t.replace('kind: volume-spike', 'kind: mood-swing')),
    );
    expect(unknownKind.file).toBe('anomalies.yaml');
    expect(unknownKind.message).toMatch(/volume-spike, first-access/);
    const noFactor = policyWith('anomalies.yaml', (t) => t.replace('    factor: 3\n', ''));
    expect(errorOf(noFactor).message).toMatch(/factor/);
    const hoursOnSpike = policyWith('anomalies.yaml', (t) =>
      t.replace('    baselineDays: 28\n', '    baselineDays: 28\n    from: "06:30"\n'),
    );
    const misplaced = errorOf(hoursOnSpike);
    expect(misplaced.message).toMatch(/\/anomalies\/3\/from/);
    expect(misplaced.line).toBe(lineOf(hoursOnSpike, 'anomalies.yaml', 'from: "06:30"'));
    expect(
      errorOf(policyWith('anomalies.yaml', (t) => t.replace('lookbackHours: 24', 'lookbackHours: 0'))).message,
    ).toMatch(/lookbackHours/);
  });

  it('refuses a network-wide role, an unknown role or profession in the partner-trust table, with the line', () => {
    const wide = policyWith('partner-trust.yaml', (t) =>
      t.replace('    roles: [referrer]\n', '    roles: [referrer, gateway-admin]\n'),
    );
    const error = errorOf(wide);
    expect(error).toMatchObject({
      file: 'partner-trust.yaml',
      line: lineOf(wide, 'partner-trust.yaml', 'gateway-admin]'),
    });
    expect(error.message).toMatch(/"gateway-admin" is network-wide: only the operator entry may name it/);
    expect(
      errorOf(policyWith('partner-trust.yaml', (t) => t.replace('    roles: [referrer]\n', '    roles: [oracle]\n')))
        .message,
    ).toMatch(/partner-trust\.yaml:\d+: unknown role "oracle"/);
    expect(
      errorOf(
        policyWith('partner-trust.yaml', (t) => t.replace('    professions: []\n', '    professions: [shaman]\n')),
      ).message,
    ).toMatch(/unknown profession "shaman"/);
  });

  it('refuses a partner-trust table that leaves out a partner type, and fingerprints the table', () => {
    const missing = errorOf(policyWith('partner-trust.yaml', (t) => t.replace(/ {2}other:\n( {4}.*\n)+/, '')));
    expect(missing.file).toBe('partner-trust.yaml');
    expect(missing.message).toMatch(/other/);
    const narrower = policyWith('partner-trust.yaml', (t) =>
      t.replace('    professions: [housing-officer, administrator]\n', '    professions: [housing-officer]\n'),
    );
    expect(loadPolicySet(narrower).version).not.toBe(loadPolicySet(shipped).version);
  });
});
