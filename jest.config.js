/** Jest runs the TypeScript tests through ts-jest (transpile only: `npm run build` type-checks). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/.build/'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: { target: 'ES2022', module: 'commonjs' } }] },
  testTimeout: 60000,
  moduleNameMapper: { '^locksfile$': '<rootDir>/dist/index.js', '^locksfile/postgres$': '<rootDir>/dist/postgres/index.js' },
  globalSetup: '<rootDir>/test/postgres/global-setup.ts',
  globalTeardown: '<rootDir>/test/postgres/global-teardown.ts',
  maxWorkers: 2,
};
