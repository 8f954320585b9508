import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Supergraph, operationFromDocument } from '@apollo/federation-internals';
import { computeResponse as apolloResultShaping } from '@apollo/gateway/dist/resultShaping';
import { parse } from 'graphql';
import { gatewaySupergraphSdl } from './authorization/field-scopes';
import gatewayPackage from '@apollo/gateway/package.json';
import { SUPPORTED_GATEWAY_VERSION, computeResponse, useFastResultShaping } from './result-shaping';
import { TEST_SECRETS, buildTestGateway, postGraphql, testToken } from './test-support/test-gateway';
import { startTestSubgraph } from './test-support/test-subgraphs';

// Apollo's own function, kept before the last test installs ours in its place.
const apolloComputeResponse = apolloResultShaping;
const apiSchema = Supergraph.build(gatewaySupergraphSdl(readFileSync(path.resolve(__dirname, '../schema/supergraph.graphql'), 'utf8'))).apiSchema();

// Both functions on the same operation and input; the answers (as serialised) and the errors must match.
function shapeBoth(query: string, input: Record<string, unknown>, variables: Record<string, unknown> = {}) {
  const operation = operationFromDocument(apiSchema, parse(query), { validate: true });
  const introspectionHandling = () => ({ introspected: true });
  const ours = computeResponse({ operation, variables, input: structuredClone(input), introspectionHandling });
  const apollo = apolloComputeResponse({ operation, variables, input: structuredClone(input), introspectionHandling });
  const errorsOf = (errors: { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[]) =>
    errors.map((e) => ({ message: e.message, path: e.path, code: e.extensions?.code }));
  expect(JSON.stringify(ours.data)).toBe(JSON.stringify(apollo.data));
  expect(errorsOf(ours.errors)).toEqual(errorsOf(apollo.errors));
  return ours;
}

const order = (id: string, extra: Record<string, unknown> = {}) => ({
  __typename: 'SalesOrder',
  id,
  number: `SO-${id}`,
  status: 'CONFIRMED',
  total: { amount: '10.50', currency: 'EUR', notSelected: 1 },
  lines: [
    { quantity: 2, unitPrice: { amount: '5.25' }, product: { __typename: 'Product', sku: 'P1', name: 'Bolt', available: 3, stock: [{ onHand: 4, reserved: 1, available: 3, warehouse: { code: 'W1', name: 'Main' } }] } },
  ],
  ...extra,
});

describe('computeResponse (fast answer shaping)', () => {
  it('shapes a nested answer like Apollo: unselected fields dropped, missing ones null, aliases and fragments merged', () => {
    const query = `query Q($first: Int!) {
      customers(first: $first) {
        totalCount
        nodes {
          id name email
          ... on Customer { name country }
          ...Money
          alias: name
          orders(first: 2) { id number status total { amount currency } lines { quantity unitPrice { amount } product { sku name available stock { onHand reserved available warehouse { code name } } } } }
        }
      }
    }
    fragment Money on Customer { creditLimit { amount currency } openBalance { amount } }`;
    const input = {
      customers: {
        totalCount: 2,
        nodes: [
          { __typename: 'Customer', id: 'c1', name: 'Acme', email: null, country: 'DE', alias: 'Acme', creditLimit: { amount: '100.00', currency: 'EUR' }, openBalance: { amount: '1.00' }, orders: [order('1'), order('2')], extra: 'dropped' },
          { __typename: 'Customer', id: 'c2', name: 'Beta', alias: 'Beta', creditLimit: null, openBalance: { amount: '0.00' }, orders: [] },
        ],
      },
    };
    const result = shapeBoth(query, input, { first: 2 });
    expect(result.errors).toEqual([]);
    const nodes = (result.data as { customers: { nodes: Record<string, unknown>[] } }).customers.nodes;
    expect(Object.keys(nodes[0])).toEqual(['id', 'name', 'email', 'country', 'creditLimit', 'openBalance', 'alias', 'orders']);
    expect(nodes[1].email).toBeNull();
  });

  it('bubbles a null in a non-null field up to the nearest nullable one, with the same errors', () => {
    const query = `{ customer(id: "c1") { id name openBalance { amount currency } orders { id lines { quantity } } } }`;
    shapeBoth(query, { customer: { __typename: 'Customer', id: 'c1', name: null, openBalance: { amount: '1', currency: 'EUR' }, orders: [] } });
    shapeBoth(query, { customer: { __typename: 'Customer', id: 'c1', name: 'A', openBalance: { amount: null, currency: 'EUR' }, orders: [{ id: 'o1', lines: [{ quantity: null }] }] } });
    const result = shapeBoth(query, { customer: { __typename: 'Customer', id: 'c1', name: 'A', openBalance: { amount: '1', currency: 'EUR' }, orders: [{ id: 'o1', lines: [null] }] } });
    expect(result.data).toEqual({ customer: null });
    expect(result.errors.length).toBeGreaterThan(0);
  });

  it('reports invalid leaf values and unknown __typename values as Apollo does', () => {
    const query = `{ salesOrders(first: 2) { nodes { id status lines { quantity } } } }`;
    const result = shapeBoth(query, { salesOrders: { nodes: [{ id: 'o1', status: 'NOT_A_STATUS', lines: [{ quantity: 'two' }] }, { __typename: 'Nope', id: 'o2', status: 'DRAFT', lines: [] }] } });
    expect(result.errors.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringContaining('Invalid value found'), expect.stringContaining('Invalid __typename')]));
  });

  it('honours @skip and @include per request variables and keeps __typename', () => {
    const query = `query Q($withOrders: Boolean!, $skipEmail: Boolean!) {
      customer(id: "c1") { __typename kind: __typename id email @skip(if: $skipEmail) orders @include(if: $withOrders) { id } }
    }`;
    const input = { customer: { __typename: 'Customer', id: 'c1', email: 'a@b.c', orders: [{ id: 'o1' }] } };
    for (const withOrders of [true, false]) {
      for (const skipEmail of [true, false]) shapeBoth(query, input, { withOrders, skipEmail });
    }
  });

  it('keeps response names that are Object.prototype properties as plain answer fields', () => {
    const query = `{ customer(id: "c1") { constructor: id toString: name hasOwnProperty: email } }`;
    const result = shapeBoth(query, { customer: { __typename: 'Customer', constructor: 'c1', toString: 'Acme', hasOwnProperty: null } });
    expect(JSON.parse(JSON.stringify(result.data))).toEqual({ customer: { constructor: 'c1', toString: 'Acme', hasOwnProperty: null } });
    // Subgraph answers are parsed JSON, where "__proto__" is an ordinary own key.
    const protoQuery = `{ customer(id: "c1") { id __proto__: country } }`;
    const withProto = shapeBoth(protoQuery, JSON.parse('{"customer":{"__typename":"Customer","id":"c1","__proto__":"DE"}}'));
    expect(JSON.stringify(withProto.data)).toBe('{"customer":{"id":"c1","__proto__":"DE"}}');
    expect(Object.getPrototypeOf((withProto.data as { customer: object }).customer)).toBe(Object.prototype);
    const empty = shapeBoth(query, { customer: { __typename: 'Customer' } });
    expect(JSON.parse(JSON.stringify(empty.data))).toEqual({ customer: null });
  });

  it('passes introspection fields to the handler and answers null input as is', () => {
    shapeBoth(`{ __schema { queryType { name } } customer(id: "c1") { id } }`, { customer: { id: 'c1' } });
    const operation = operationFromDocument(apiSchema, parse('{ customer(id: "c1") { id } }'), { validate: true });
    expect(computeResponse({ operation, input: null, introspectionHandling: () => null })).toEqual({ data: null, errors: [] });
  });

  it('was compared with the installed @apollo/gateway: an upgrade fails here until the fuzz comparison passes on it and the version is updated', () => {
    expect(`@apollo/gateway ${gatewayPackage.version}`).toBe(`@apollo/gateway ${SUPPORTED_GATEWAY_VERSION}`);
  });

  it('is called by the query-plan executor of a running gateway', async () => {
    const crm = await startTestSubgraph('crm', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    const erp = await startTestSubgraph('erp', { internalSecret: TEST_SECRETS.INTERNAL_SECRET });
    const gateway = await buildTestGateway({ erpUrl: erp.url, crmUrl: crm.url });
    const resultShapingModule = require('@apollo/gateway/dist/resultShaping') as { computeResponse: typeof computeResponse };
    let calls = 0;
    resultShapingModule.computeResponse = (args) => {
      calls++;
      return computeResponse(args);
    };
    try {
      const response = await postGraphql(gateway, { query: '{ customers { id name openBalance } }' }, { authorization: `Bearer ${await testToken({ role: 'admin' })}` });
      expect(response.body.data.customers).toHaveLength(2);
      expect(calls).toBeGreaterThan(0);
    } finally {
      resultShapingModule.computeResponse = computeResponse;
      await gateway.close();
      await crm.close();
      await erp.close();
    }
  });

  it('is what @apollo/gateway runs once installed', () => {
    expect(useFastResultShaping()).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect((require('@apollo/gateway/dist/resultShaping') as { computeResponse: unknown }).computeResponse).toBe(computeResponse);
  });
});
