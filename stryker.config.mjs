/**
 * Mutation testing (`npm run mutate`, not part of CI): StrykerJS changes one operator,
 * condition or literal at a time in the modules below and runs the unit tests that cover it;
 * a mutant that no test notices "survives" and points at a missing assertion.
 *
 * The tests import the library as `locksfile`, i.e. the compiled `dist/`, so Stryker builds
 * its sandbox with tsc after instrumenting (`buildCommand`) and the tests run against the
 * instrumented build. Only the fast unit tests of these modules run (`jest.config` below),
 * one mutant at a time (2 shared cores). Budget: see "Mutation testing" in the README.
 */
import jestConfig from './jest.config.js';

// The repository's jest settings (transform, module mapping, timeout); the files are listed below.
const { displayName: _main, testMatch: _all, testPathIgnorePatterns: _ignored, ...settings } = jestConfig.projects.find((p) => p.displayName === 'main');

export default {
  packageManager: 'npm',
  testRunner: 'jest',
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  buildCommand: 'npx tsc -p tsconfig.json',
  mutate: ['lib/args/spec.ts', 'lib/ranges/interval-set.ts'],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  // Error-message wording is not asserted word for word (the error's class and `code` are);
  // mutating every message string would double the run for no information.
  mutator: { excludedMutations: ['StringLiteral'] },
  // Re-runs only test mutants whose code or tests changed (results kept in reports/).
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  concurrency: 1,
  timeoutMS: 10000,
  ignorePatterns: ['dist', 'test/.build', 'bench/results', 'reports', '.git'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  jest: {
    projectType: 'custom',
    enableFindRelatedTests: false,
    config: { ...settings, testMatch: ['<rootDir>/test/unit/spec.test.ts', '<rootDir>/test/unit/interval-set.test.ts'] },
  },
};
