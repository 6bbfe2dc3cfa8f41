// Boundaries of schakel, checked by `npm run deps:check` (part of `npm test`), not by goodwill.
// The kernel (common, config, database, policies, access-log, access) knows no capability; a
// capability uses another only through its exported service; only the kernel decides.
const CAPABILITIES =
  '(partners|auth|referrals|cases|clients|consent|information-requests|oversight|notifications|console|health|cli)';
const KERNEL = '(common|config|database|policies|access-log|access)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Import cycles make the order of initialisation (and the meaning of a module) depend on who loads first.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'kernel-knows-no-capability',
      severity: 'error',
      comment: 'The kernel (common, config, database, policies, access-log, access) imports no capability.',
      from: { path: `^src/${KERNEL}/` },
      to: { path: `^src/${CAPABILITIES}/` },
    },
    {
      name: 'only-the-kernel-decides',
      severity: 'error',
      comment:
        "Only src/access/ (and auth's route check) calls the policy engine's decisions; src/policies/ holds the engine, its decision tables and the explain endpoint.",
      from: { path: '^src/', pathNot: '^src/(access|auth|policies)/' },
      to: { path: '^src/policies/policy-engine\\.ts$' },
    },
    {
      name: 'typeorm-only-in-the-data-layer',
      severity: 'error',
      comment:
        'TypeORM only in repositories, entities, facts queries and src/database/: services and controllers never build queries.',
      from: {
        path: '^src/',
        // The composition roots (app module, entity list) wire TypeORM in, and build no query.
        pathNot: [
          '\\.(repository|entity|entities|facts)\\.ts$',
          '^src/database/',
          '^src/(app\\.module|entities|data-source)\\.ts$',
        ],
      },
      to: { path: '^node_modules/(typeorm|@nestjs/typeorm)/' },
    },
    {
      name: 'no-foreign-repository-or-entity',
      severity: 'error',
      comment: 'A capability uses another through its exported service, never its repository, entities or facts.',
      // Command-line tools are entry points (like main.ts) wiring repositories for one job.
      from: { path: '^src/([^/]+)/', pathNot: '^src/(database|cli)/' },
      to: {
        path: '^src/[^/]+/.+\\.(repository|entity|entities|facts)\\.ts$',
        pathNot: '^src/$1/',
      },
    },
    {
      name: 'src-never-imports-test',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|\\.data)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: {
      archi: { collapsePattern: '^src/[^/]+' },
    },
  },
};
