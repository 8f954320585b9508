import { readFileSync } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError, type GraphQLObjectType, parse } from 'graphql';
import { SUPERGRAPH_PATH } from '../scripts/compose';
import type { Principal } from './auth';
import { applyRefusals } from './authorization/answer-refusals';
import { apiSchemaOf, readFieldScopes } from './authorization/field-scopes';
import type { AuthorizationOutcome } from './authorization/operation-pruning';
import { authorizationPlugin } from './authorization/plugin';
import { authorizationHook } from './authorization/request-hook';
import { LruCache } from '../platform/lru-cache';

const supergraph = readFileSync(SUPERGRAPH_PATH, 'utf8');
const schema = apiSchemaOf(supergraph);
const fieldScopes = readFieldScopes(supergraph);

const CUSTOMER_QUERY = '{ customer(id: "crm:1") { name openBalance { amount } } }';

describe('LruCache', () => {
  it('keeps at most maxEntries, dropping the least recently used first', () => {
    const cache = new LruCache<number>({ maxEntries: 2, maxWeight: 1000 });
    cache.set('a', 1, 1);
    cache.set('b', 2, 1);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3, 1);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('keeps the summed weight under maxWeight and never keeps an entry heavier than the budget', () => {
    const cache = new LruCache<string>({ maxEntries: 100, maxWeight: 10 });
    cache.set('a', 'x', 4);
    cache.set('b', 'y', 4);
    cache.set('c', 'z', 4);
    expect(cache.totalWeight).toBe(8);
    expect(cache.get('a')).toBeUndefined();
    cache.set('huge', 'w', 11);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.totalWeight).toBe(8);
    cache.set('b', 'y2', 2);
    expect(cache.get('b')).toBe('y2');
    expect(cache.totalWeight).toBe(6);
  });

  it('stays bounded under many distinct keys', () => {
    const cache = new LruCache<number>({ maxEntries: 50, maxWeight: 1_000_000 });
    for (let i = 0; i < 10_000; i++) cache.set(`query ${i}`, i, 10);
    expect(cache.size).toBe(50);
    expect(cache.totalWeight).toBe(500);
  });
});

// One POST /graphql through the hook, as Fastify would run it; returns what Apollo would then read.
async function throughHook(hook: ReturnType<typeof authorizationHook>, principal: Principal, body: Record<string, unknown>) {
  const req = { principal, method: 'POST', url: '/graphql', body: { ...body } } as unknown as FastifyRequest;
  const sent: unknown[] = [];
  const reply = { code: () => reply, send: (payload: unknown) => (sent.push(payload), reply) } as unknown as FastifyReply;
  await hook(req, reply);
  return { query: (req.body as { query: string }).query, authorization: req.authorization as AuthorizationOutcome | undefined, sent };
}

describe('authorization hook with its caches', () => {
  const admin: Principal = { sub: 'a', role: 'admin' };
  const sales: Principal = { sub: 's', role: 'sales' };

  it('never serves one role the decision made for another, whichever asks first', async () => {
    for (const order of [[admin, sales], [sales, admin]]) {
      const hook = authorizationHook({ schema, fieldScopes, maxTokens: 5000 });
      for (let round = 0; round < 3; round++) {
        for (const principal of order) {
          const result = await throughHook(hook, principal, { query: CUSTOMER_QUERY });
          if (principal.role === 'admin') {
            expect(result.query).toBe(CUSTOMER_QUERY);
            expect(result.authorization?.refused).toEqual([]);
          } else {
            expect(result.query).not.toMatch(/openBalance/);
            expect(result.authorization?.refused.map((r) => r.path)).toEqual([['customer', 'openBalance']]);
          }
        }
      }
    }
  });

  it('decides the same after its caches dropped an operation', async () => {
    const hook = authorizationHook({ schema, fieldScopes, maxTokens: 5000, cacheLimits: { maxEntries: 1, maxWeight: 10_000 } });
    const other = '{ customer(id: "crm:2") { name creditLimit { amount } } }';
    for (let round = 0; round < 3; round++) {
      expect((await throughHook(hook, sales, { query: CUSTOMER_QUERY })).query).not.toMatch(/openBalance/);
      expect((await throughHook(hook, sales, { query: other })).query).not.toMatch(/creditLimit/);
      expect((await throughHook(hook, admin, { query: other })).query).toBe(other);
    }
  });

  it('shares a decision only frozen, so no request can change what the next one gets', async () => {
    const hook = authorizationHook({ schema, fieldScopes, maxTokens: 5000 });
    const first = await throughHook(hook, sales, { query: CUSTOMER_QUERY });
    expect(() => (first.authorization!.refused as unknown[]).push({})).toThrow(TypeError);
    const second = await throughHook(hook, sales, { query: CUSTOMER_QUERY });
    expect(second.authorization?.refused).toHaveLength(1);
  });

  it('reads the ids of a refused mutation from each request, not from an earlier one', async () => {
    const hook = authorizationHook({ schema, fieldScopes, maxTokens: 5000 });
    const mutation = 'mutation Ship($id: ID!) { confirmShipment(id: $id, carrier: "DHL", trackingNumber: "1") { id } }';
    const first = await throughHook(hook, sales, { query: mutation, variables: { id: 'so-1' } });
    const second = await throughHook(hook, sales, { query: mutation, variables: { id: 'so-2' } });
    expect(first.authorization?.refused.map((r) => r.ids)).toEqual([['so-1']]);
    expect(second.authorization?.refused.map((r) => r.ids)).toEqual([['so-2']]);
  });

  it('still answers a syntax error by leaving the request to Apollo', async () => {
    const hook = authorizationHook({ schema, fieldScopes, maxTokens: 5000 });
    const result = await throughHook(hook, admin, { query: '{ customer(' });
    expect(result.query).toBe('{ customer(');
    expect(result.authorization).toBeUndefined();
  });
});

describe('authorization plugin re-check with its cache', () => {
  it('refuses a document with a refused field for that role on every request, and lets other roles run it', async () => {
    const plugin = authorizationPlugin(schema, fieldScopes);
    const document = parse(CUSTOMER_QUERY);
    const check = async (role: Principal['role']) => {
      const listener = await plugin.requestDidStart!({} as never);
      return (listener as { didResolveOperation: (context: unknown) => Promise<void> }).didResolveOperation({
        document,
        operationName: null,
        contextValue: { principal: { sub: 'x', role } },
        request: { variables: {} },
      });
    };
    for (let round = 0; round < 2; round++) {
      await expect(check('admin')).resolves.toBeUndefined();
      await expect(check('sales')).rejects.toThrow(GraphQLError);
      await expect(check('finance')).resolves.toBeUndefined();
    }
  });
});

describe('refusals written into answers made of ordinary objects', () => {
  it('answers a refused field aliased "__proto__" with a null field, leaving the prototype alone', () => {
    const data = { customer: { name: 'Acme' } } as Record<string, unknown>;
    const types = [schema.getQueryType()!.getFields().customer.type, (schema.getType('Customer') as GraphQLObjectType).getFields().creditLimit.type];
    const result = applyRefusals(data, { refused: [{ path: ['customer', '__proto__'], coordinate: 'Customer.creditLimit', types }], placeholders: [] });
    expect(JSON.stringify(result.data)).toBe('{"customer":{"name":"Acme","__proto__":null}}');
    expect(Object.getPrototypeOf(data.customer)).toBe(Object.prototype);
    expect(result.errors.map((e) => e.path)).toEqual([['customer', '__proto__']]);
  });
});
