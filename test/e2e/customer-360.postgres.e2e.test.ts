import { CUSTOMER_360_STACK_ENV, customer360Cases } from './cases/customer-360';
import { describeOn } from '../../test-support/services';
import { STACK_NEEDS, type TestStack, startTestStack } from '../../test-support/stack';

// Customer 360 on a PostgreSQL + Redis stack of its own (npm test runs it on PGlite, on the
// embedded stack). In the slow set: its seeding run and start would cost npm test a minute of CPU.
describeOn(
  ['postgres'] as const,
  'the supergraph on %s',
  (kind) => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await startTestStack(kind, { env: CUSTOMER_360_STACK_ENV });
    }, 240_000);
    afterAll(async () => {
      await stack?.dispose();
    }, 60_000);
    customer360Cases(() => stack);
  },
  STACK_NEEDS,
);
