/**
 * Jest runs TypeScript through SWC; the cookie package ships ESM only, so it is transformed too.
 * Two workers for the two cores: the end-to-end suites spend most of their time waiting on the
 * stack's own processes. The global setup probes PostgreSQL and Redis once and makes the folder
 * where each kind of stack is seeded once per run and then copied (test-support/stack.ts).
 *
 * Suites that stop, kill or restart services of their own stack, start more processes or a
 * PostgreSQL stack of their own: minutes each. `npm test` leaves
 * them out (TEST_SET=quick), `npm run test:slow` runs only them, and CI runs both.
 */
const SLOW_SUITES = [
  'test/e2e/order-flow.e2e.test.ts',
  'test/e2e/writes-and-failures.e2e.test.ts',
  'test/e2e/stack-supervision.e2e.test.ts',
  // The ERP frozen with SIGSTOP while orders come in.
  'test/e2e/erp-outage.e2e.test.ts',
  // Both subscription protocols, reconnects and a second gateway process on two kinds of stack.
  'test/e2e/live-updates.e2e.test.ts',
  // Two instances of each part behind load balancers; a gateway and an integration worker SIGKILLed.
  'test/e2e/scale-out.e2e.test.ts',
  // Customer 360 on a PostgreSQL stack of its own: npm test runs it on PGlite (embedded-stack).
  'test/e2e/customer-360.postgres.e2e.test.ts',
];
const set = process.env.TEST_SET;

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: ['/node_modules/(?!(cookie)/)'],
  testMatch: set === 'slow' ? SLOW_SUITES.map((suite) => `<rootDir>/${suite}`) : ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.data/', ...(set === 'quick' ? SLOW_SUITES.map((suite) => `<rootDir>/${suite}`) : [])],
  testTimeout: 60000,
  maxWorkers: 2,
  testSequencer: '<rootDir>/test-support/jest-sequencer.js',
  globalSetup: '<rootDir>/test-support/jest-global-setup.ts',
  globalTeardown: '<rootDir>/test-support/jest-global-teardown.ts',
};
