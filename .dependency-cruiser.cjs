// The layering, checked by `npm run lint` (and so by `npm test`). Imports only go down:
//
//   cli/                      the `grab` entry point and the command registry
//   bench/                    benchmarks: commands, runners and the no-op ceiling worker
//   producer/  worker/  api/  the apps: operator commands and the producer side; `grab work`, `grab fleet`;
//                             `grab serve`, the HTTP API (which reuses the producer's pieces through shared/)
//   shared/cli/               what commands are written with: Command, flags, CommandFailure, services
//   shared/*                  the domain and infrastructure: config, logging, redis, campaign, queue,
//                             ledger, lock, metrics, hash
//
// grafana/ (dashboards as code) may use shared/ only; test/ may use anything, and nothing uses test/.
// Type-only imports count: a circle through types is still a circle in the design.

const apps = '^(producer|worker|api)/';
const source = '^(cli|bench|api|producer|worker|shared|grafana)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'shared-imports-no-app',
      comment: 'shared/ is the bottom layer: it never imports the entry point, the benchmarks, an app, the dashboards or the tests.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(cli|bench|api|producer|worker|grafana|test)/' },
    },
    {
      name: 'domain-imports-no-command-kit',
      comment:
        'The domain below shared/cli/ throws its own errors and knows nothing of commands; the entry point (cli/grab.ts) maps errors to exit codes in one place.',
      severity: 'error',
      from: { path: '^shared/', pathNot: '^shared/cli/' },
      to: { path: '^shared/cli/' },
    },
    {
      name: 'nothing-imports-the-entry',
      comment: 'cli/ sits on top: the apps, the benchmarks and shared/ never import it (a process that needs grab starts it by path: shared/cli/grab-entry.ts).',
      severity: 'error',
      from: { path: '^(bench|api|producer|worker|shared|grafana)/' },
      to: { path: '^cli/' },
    },
    {
      name: 'bench-only-from-the-entry',
      comment: 'The benchmarks are registered by cli/commands.ts; no app or shared module depends on them.',
      severity: 'error',
      from: { pathNot: '^(cli|bench|test)/' },
      to: { path: '^bench/' },
    },
    {
      name: 'apps-import-no-other-app',
      comment: 'producer/, worker/ and api/ are siblings: what two of them need lives in shared/.',
      severity: 'error',
      from: { path: apps },
      to: { path: apps, pathNot: '^$1/' },
    },
    {
      name: 'dashboards-import-only-shared',
      comment: 'grafana/src generates dashboards: it may read shared/ (metric names), never the commands.',
      severity: 'error',
      from: { path: '^grafana/' },
      to: { path: '^(cli|bench|api|producer|worker|test)/' },
    },
    {
      name: 'source-imports-no-test',
      comment: 'Tests import the source, never the other way round.',
      severity: 'error',
      from: { path: source },
      to: { path: '^test/' },
    },
    {
      name: 'no-circular',
      comment: 'No module imports itself through others.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      comment: 'No folder imports itself through others (shared/lock and shared/metrics, say): each folder is a layer of its own.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-orphans',
      comment: 'A module nothing imports is dead code, unless it is started on its own: the entry points below, and the tests.',
      severity: 'error',
      from: {
        orphan: true,
        pathNot: [
          '\\.d\\.ts$',
          '\\.test\\.ts$',
          '^cli/grab\\.ts$',
          '^bench/noop-worker\\.ts$',
          '^grafana/src/write-dashboards\\.ts$',
          '^test/support/global-setup\\.ts$',
          '^test/support/escaping-error\\.ts$',
          '^test/chaos/print-table\\.mjs$',
        ],
      },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves to a file or an installed package (the compiled dist/ exists only after a build).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '(^|/)dist/' },
    },
    {
      name: 'no-undeclared-package',
      comment: 'Every package imported is declared in package.json.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'shipped-code-uses-no-dev-dependency',
      comment:
        'The image and the package install production dependencies only (npm ci --omit=dev). One exception: grab bench api loads autocannon, a dev dependency, when it runs (from a clone), and says so where it is missing.',
      severity: 'error',
      from: { path: '^(cli|bench|api|producer|worker|shared)/', pathNot: '^bench/api-bench\\.ts$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // The compiled output: test/chaos/print-table.mjs reads the compiled test support.
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
