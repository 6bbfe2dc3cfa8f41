import { afterAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicySet, PolicyError } from './policy-files.js';
import { runDecisionTables } from './decision-tables.js';

const shipped = join(process.cwd(), 'policies');

/** The shipped policy, checked against the decision tables in policies/tests (also `npm run policies:test`). */
describe('decision tables of the shipped policy', () => {
  const report = runDecisionTables(loadPolicySet(shipped), shipped);

  it('has at least 60 rows', () => {
    expect(report.outcomes.length).toBeGreaterThanOrEqual(60);
  });

  it.each(report.outcomes.map((o) => [`${o.file}:${o.line} ${o.row.name}`, o] as const))('%s', (_name, outcome) => {
    expect({ decision: outcome.actual.decision, permitted: [...outcome.actual.permittedCategories].sort() }).toEqual({
      decision: outcome.row.expect,
      permitted: outcome.row.permitted
        ? [...outcome.row.permitted].sort()
        : [...outcome.actual.permittedCategories].sort(),
    });
  });

  it('exercises every rule with a permit row and a deny row', () => {
    expect(report.uncovered).toEqual([]);
    for (const [id, counts] of report.coverage)
      expect({ id, permit: counts.permitRows > 0, deny: counts.denyRows > 0 }).toEqual({
        id,
        permit: true,
        deny: true,
      });
  });
});

describe('the decision-table check itself', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** A copy of the shipped policy and tables with one file edited. */
  function copyWith(file: string, edit: (text: string) => string): string {
    const dir = mkdtempSync(join(tmpdir(), 'policy-tables-'));
    dirs.push(dir);
    cpSync(shipped, dir, { recursive: true });
    writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
    return dir;
  }
  const run = (dir: string) => runDecisionTables(loadPolicySet(dir), dir);
  const refusal = (dir: string) => {
    try {
      run(dir);
    } catch (error) {
      if (error instanceof PolicyError) return error;
      throw error;
    }
    throw new Error('the tables were accepted');
  };

  it('fails on a rule no row exercises', () => {
    const dir = copyWith('rules.yaml', (t) =>
      t.replace(
        '  # --- oversight',
        '  - id: partner-admin-reads-partners\n    roles: [partner-admin]\n    actions: [read]\n    subject: Partner\n    purposes: [administration]\n\n  # --- oversight',
      ),
    );
    const report = run(dir);
    expect(report.uncovered).toEqual(['partner-admin-reads-partners']);
    expect(report.coverage.get('partner-admin-reads-partners')).toEqual({
      permitRows: 0,
      denyRows: expect.any(Number),
    });
  });

  it('fails on a rule exercised only by permit rows', () => {
    // Without the rows where the objection rule refuses, it is never seen winning.
    const dir = copyWith('tests/default.yaml', (t) =>
      t
        .split('\n')
        .filter((l) => !/objection: true/.test(l))
        .join('\n'),
    );
    expect(run(dir).uncovered).toContain('objection-overrides-consent');
  });

  it('reports a row whose expectation the policy does not meet, with its line', () => {
    const dir = copyWith('tests/default.yaml', (t) =>
      t.replace(
        '{ name: admin registers a partner, partnerType: other, roles: [gateway-admin], purpose: administration, action: create, resource: Partner, facts: { operator: true }, expect: permit }',
        '{ name: admin registers a partner, partnerType: other, roles: [gateway-admin], purpose: administration, action: create, resource: Partner, facts: { operator: true }, expect: deny }',
      ),
    );
    const failed = run(dir).outcomes.filter((o) => !o.passed);
    expect(failed.map((o) => [o.row.name, o.line])).toEqual([
      [
        'admin registers a partner',
        readFileSync(join(dir, 'tests/default.yaml'), 'utf8')
          .split('\n')
          .findIndex((l) => l.includes('admin registers a partner')) + 1,
      ],
    ]);
  });

  it('refuses a row that names a purpose, role, resource or category the policy does not know', () => {
    const misspelt = refusal(
      copyWith('tests/default.yaml', (t) =>
        t.replace(
          'purpose: administration, action: update, resource: Partner',
          'purpose: administation, action: update, resource: Partner',
        ),
      ),
    );
    expect(misspelt.message).toMatch(
      /^policies\/tests\/default\.yaml:\d+: row "admin updates a partner": unknown purpose "administation"/,
    );
    expect(
      refusal(
        copyWith('tests/default.yaml', (t) =>
          t.replace(
            'roles: [gateway-admin], purpose: administration, action: update',
            'roles: [gateway-admn], purpose: administration, action: update',
          ),
        ),
      ).message,
    ).toMatch(/unknown role "gateway-admn"/);
    expect(
      refusal(
        copyWith('tests/default.yaml', (t) =>
          t.replace('action: update, resource: Partner', 'action: update, resource: Partners'),
        ),
      ).message,
    ).toMatch(/unknown resource "Partners"/);
    expect(
      refusal(
        copyWith('tests/default.yaml', (t) =>
          t.replace('categories: [health, housing, care-plan]', 'categories: [health, housing, careplan]'),
        ),
      ).message,
    ).toMatch(/unknown category "careplan"/);
    expect(
      refusal(
        copyWith('tests/switches.yaml', (t) =>
          t.replace('informedNoObjectionSuffices: true', 'informedNoObjectionSuffice: true'),
        ),
      ).message,
    ).toMatch(/tests\/switches\.yaml:\d+: unknown network switch/);
    expect(
      refusal(copyWith('tests/default.yaml', (t) => t.replace('expect: permit }', 'expect: permit, colour: red }')))
        .message,
    ).toMatch(/unknown field "colour"/);
  });
});
