import { customer360Cases } from './cases/customer-360';

describe('the supergraph on pglite', () => customer360Cases('pglite'));
