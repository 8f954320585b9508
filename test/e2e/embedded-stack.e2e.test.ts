import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestStack, startTestStack } from '../../test-support/stack';
import { CUSTOMER_360_STACK_ENV, customer360Cases } from './cases/customer-360';
import { MONEY_STACK_ENV, moneyCases } from './cases/money';
import { SECURITY_STACK_ENV, securityCases } from './cases/security';
import { syncCases } from './cases/sync';
import { transferCases } from './cases/transfer';

/**
 * Five suites on one embedded stack, in turn: a stack of their own each would cost npm test about
 * twenty CPU seconds per start on two cores. They run in an order in which none disturbs the next:
 * Customer 360 first (it compares answers with the seed and counts backend calls, so the stack's
 * background polls are off: changes arrive by webhook), then the sync (it reads the seed's
 * anomalies as a fresh start shows them), then import and export (which compare the export with
 * the API, so nothing may place orders meanwhile), then money (its own customers and orders), and
 * security last (its fuzzer sends random mutations; it reads the log of everything before it for
 * secrets).
 */
const logFile = path.join(tmpdir(), `embedded-stack-e2e-${process.pid}-${Date.now()}.log`);
let stack: TestStack;

beforeAll(async () => {
  // Started while other suites load the machine, the stack may take minutes to be ready.
  stack = await startTestStack('pglite', { logFile, env: { ...CUSTOMER_360_STACK_ENV, ...MONEY_STACK_ENV, ...SECURITY_STACK_ENV }, readyTimeoutMs: 540_000 });
}, 600_000);

afterAll(async () => {
  await stack?.dispose();
  rmSync(logFile, { force: true });
}, 60_000);

describe('the supergraph on pglite', () => customer360Cases(() => stack));
syncCases(() => stack);
transferCases(() => stack);
moneyCases(() => stack);
securityCases(() => stack, logFile);
