import { readFileSync } from 'node:fs';
import { type OperationDefinitionNode, parse } from 'graphql';
import request from 'supertest';
import { SUPERGRAPH_PATH } from '../scripts/compose';
import { apiSchemaOf } from './authorization/field-scopes';
import type { BuiltGateway } from './gateway';
import { type QueryLimits, checkOperation } from './limits';
import { buildTestGateway, postGraphql, testToken } from './test-support/test-gateway';
import { TEST_SECRETS } from './test-support/test-gateway';
import { type TestSubgraph, startTestSubgraph } from './test-support/test-subgraphs';

const apiSchema = apiSchemaOf(readFileSync(SUPERGRAPH_PATH, 'utf8'));
const LIMITS: QueryLimits = { maxDepth: 15, maxAliases: 30, maxCost: 1_000_000, maxPageSize: 100, assumedListSize: 5 };

function check(query: string, variables: Record<string, unknown> = {}, limits: QueryLimits = LIMITS): void {
  const document = parse(query);
  checkOperation(apiSchema, document, document.definitions[0] as OperationDefinitionNode, variables, limits);
}

const CUSTOMER_360 = `query($first: Int!) { customers(first: $first) { nodes { id name
  contacts { id name } opportunities { id amount { amount } lines { quantity product { sku } } }
  activities(last: 5) { id } cases { id } openBalance { amount }
  orders(first: 20) { id total { amount } lines { quantity product { sku available stock { onHand warehouse { code } } } } }
  invoices { id amountDue { amount } } } } }`;

describe('query limits on the real API schema', () => {
  it('lets a Customer 360 for 50 customers through', () => {
    expect(() => check(CUSTOMER_360, { first: 50 })).not.toThrow();
  });

  it('refuses a page larger than 100, also when it arrives as a variable', () => {
    expect(() => check('{ customers(first: 101) { totalCount } }')).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', limit: 'pageSize', field: 'first' }) }));
    expect(() => check('query($n: Int) { products(first: $n) { totalCount } }', { n: 500 })).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ limit: 'pageSize' }) }));
    expect(() => check('{ customers { nodes { activities(last: 1000) { id } } } }')).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ limit: 'pageSize', field: 'last' }) }));
  });

  it('refuses an operation nested deeper than the depth limit, fragments included', () => {
    // customer → orders → customer → orders … : each hop is two levels.
    let selection = 'id';
    for (let i = 0; i < 8; i++) selection = `orders(first: 1) { customer { ${selection} } }`;
    expect(() => check(`{ customer(id: "crm:x") { ${selection} } }`)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ limit: 'depth' }) }));
    expect(() => check(`{ customer(id: "crm:x") { ...F } } fragment F on Customer { orders(first: 1) { customer { orders(first: 1) { customer { orders(first:1) { customer { orders(first:1) { customer { orders(first:1) { customer { orders(first:1) { customer { orders(first:1) { customer { orders(first:1) { id } } } } } } } } } } } } } } } }`)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ limit: 'depth' }) }),
    );
  });

  it('refuses too many aliases', () => {
    const aliased = Array.from({ length: 31 }, (_, i) => `a${i}: product(sku: "P-1") { sku }`).join(' ');
    expect(() => check(`{ ${aliased} }`)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ limit: 'aliases' }) }));
  });

  it('refuses an operation whose lists multiply beyond the cost limit', () => {
    const expensive = `{ customers(first: 100) { nodes { orders(first: 100) { lines { product { stock { warehouse { code name } } } } } } } }`;
    expect(() => check(expensive)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ limit: 'cost' }) }));
  });
});

describe('request limits at the gateway', () => {
  let crm: TestSubgraph;
  let erp: TestSubgraph;
  let gateway: BuiltGateway;
  let token: string;

  beforeAll(async () => {
    crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url, env: { RATE_LIMIT_PER_MINUTE: '3', MAX_BODY_BYTES: '2048', MAX_QUERY_TOKENS: '200' } });
    token = await testToken({ role: 'admin' }, { sub: 'limits-test' });
  });
  afterAll(async () => {
    await gateway.close();
    await crm.close();
    await erp.close();
  });

  it('refuses a body over the size limit with 413 and runs nothing', async () => {
    const before = crm.received.length + erp.received.length;
    const response = await postGraphql(gateway, { query: `{ customers { id } } # ${'x'.repeat(4096)}` }, { authorization: `Bearer ${await testToken({ role: 'admin' }, { sub: 'big-body' })}` });
    expect(response.status).toBe(413);
    expect(crm.received.length + erp.received.length).toBe(before);
  });

  it('refuses a document with too many tokens before parsing it whole', async () => {
    const fields = Array.from({ length: 250 }, () => 'id').join(' ');
    const response = await postGraphql(gateway, { query: `{ customers { ${fields} } }` }, { authorization: `Bearer ${await testToken({ role: 'admin' }, { sub: 'many-tokens' })}` });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].message).toMatch(/more that 200 tokens/);
    expect(response.body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('refuses batched requests', async () => {
    const response = await request(gateway.app.server)
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${await testToken({ role: 'admin' }, { sub: 'batcher' })}`)
      .send([{ query: '{ customers { id } }' }, { query: '{ customers { id } }' }]);
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toMatch(/batch/i);
  });

  it('answers 429 with Retry-After once a token used up its requests for the minute', async () => {
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 5; i++) {
      const response = await postGraphql(gateway, { query: '{ customers { id } }' }, { authorization: `Bearer ${token}` });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers['retry-after'];
        expect(response.body.errors[0].extensions.code).toBe('RATE_LIMITED');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  });
});
