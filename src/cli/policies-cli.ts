import { resolve } from 'node:path';
import { runDecisionTables } from '../policies/decision-tables.js';
import { loadPolicySet } from '../policies/policy-files.js';
import { runCli } from './run-cli.js';

/**
 * `npm run policies:check` — validate the policy as the gateway does at start, without starting it.
 * `npm run policies:test`  — also run the decision tables in policies/tests.
 */
function main(): void {
  const [command] = process.argv.slice(2);
  const dir = resolve(process.env.POLICIES_DIR ?? 'policies');
  const policy = loadPolicySet(dir);
  process.stdout.write(
    `policy ${policy.version}: ${policy.purposes.length} purposes, ${policy.roles.length} roles, ${policy.categories.length} categories, ${policy.rules.length} rules — valid\n`,
  );
  if (command !== 'test') return;
  const report = runDecisionTables(policy, dir);
  const failed = report.outcomes.filter((o) => !o.passed);
  for (const outcome of failed) {
    process.stdout.write(
      `FAIL policies/tests/${outcome.file}:${outcome.line}: ${outcome.row.name}\n  expected ${outcome.row.expect}${outcome.row.permitted ? ` [${outcome.row.permitted.join(', ')}]` : ''}, got ${outcome.actual.decision} [${outcome.actual.permittedCategories.join(', ')}] (rule ${outcome.actual.rule?.id ?? '-'})\n`,
    );
  }
  for (const id of report.uncovered) {
    const c = report.coverage.get(id)!;
    const rule = policy.rules.find((r) => r.id === id)!;
    process.stdout.write(
      `UNCOVERED rule ${id} (${rule.source.file}:${rule.source.line}): ${c.permitRows} permit rows, ${c.denyRows} deny rows; it needs at least one of each\n`,
    );
  }
  process.stdout.write(
    `decision tables: ${report.outcomes.length - failed.length} passed, ${failed.length} failed; ${report.uncovered.length} rules uncovered\n`,
  );
  if (failed.length > 0 || report.uncovered.length > 0) process.exitCode = 1;
}

// Exit status: 0 valid (and every table passed), 1 a table failed or a rule is uncovered, 2 the policy is invalid.
runCli(main, 2);
