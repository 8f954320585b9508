/**
 * Jest runs TypeScript through SWC; the cookie package ships ESM only, so it is transformed too.
 * Two workers for the two cores: the end-to-end suites spend most of their time waiting on the
 * stack's own processes. The global setup probes PostgreSQL and Redis once and makes the folder
 * where each kind of stack is seeded once per run and then copied (test/support/stack.ts).
 */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: ['/node_modules/(?!(cookie)/)'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.data/'],
  testTimeout: 60000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/jest-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/jest-global-teardown.ts',
};
