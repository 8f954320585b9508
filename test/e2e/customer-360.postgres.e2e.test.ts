import { customer360Cases } from './cases/customer-360';
import { describeOn } from '../../test-support/services';
import { STACK_NEEDS } from '../../test-support/stack';

// In the slow set: a PostgreSQL stack of its own costs a seeding run and a start that npm test
// spends on PGlite; .ci/run runs it, beside the other suites that start PostgreSQL stacks.
describeOn(['postgres'] as const, 'the supergraph on %s', (kind) => customer360Cases(kind), STACK_NEEDS);
