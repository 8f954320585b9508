import { type IncomingHttpHeaders, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import { Registry } from 'prom-client';
import { createLogger } from '../platform/logger';
import type { GatewayContext } from './context';
import { createGatewayMetrics } from './metrics';
import { SubgraphDataSource } from './subgraph-data-source';

// A subgraph stand-in: answers every POST with `respond` and records what it received.
async function fakeSubgraph(respond: (res: ServerResponse) => void) {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      respond(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    url,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Runs `test` against a data source for a fake subgraph answering with `respond`, then closes both.
async function withSubgraph(
  respond: (res: ServerResponse) => void,
  test: (setup: { dataSource: SubgraphDataSource; registry: Registry; received: { headers: IncomingHttpHeaders; body: string }[] }) => Promise<void>,
  timeoutMs = 1000,
): Promise<void> {
  const subgraph = await fakeSubgraph(respond);
  const registry = new Registry();
  const metrics = createGatewayMetrics(registry);
  const dataSource = new SubgraphDataSource({ name: 'erp', url: subgraph.url, timeoutMs, serviceToken: () => 'service-token', metrics, logger: createLogger('test', 'silent') });
  try {
    await test({ dataSource, registry, received: subgraph.received });
  } finally {
    await dataSource.close();
    await subgraph.close();
  }
}

// One entity fetch for two customers, as the gateway's executor sends it.
function entityFetch(clientHeaders: Record<string, string> = {}): GraphQLDataSourceProcessOptions<GatewayContext> {
  return {
    kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
    request: {
      query: 'query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Customer { openBalance } } }',
      variables: { representations: [{ __typename: 'Customer', erpCustomerNo: 'K-1' }, { __typename: 'Customer', erpCustomerNo: 'K-2' }] },
      http: { method: 'POST', url: '', headers: new Headers(clientHeaders) as never },
    },
    context: { principal: { sub: 'ana', role: 'finance' }, requestId: 'req-1' },
    incomingRequestContext: {} as never,
    pathInIncomingRequest: undefined as never,
    document: undefined as never,
  } as GraphQLDataSourceProcessOptions<GatewayContext>;
}

describe('SubgraphDataSource over undici request', () => {
  it('sends the service token, request id and principal (never the client copies) and returns the parsed answer', async () => {
    await withSubgraph(
      (res) => {
        res.writeHead(200, { 'content-type': 'application/graphql-response+json; charset=utf-8' });
        res.end(JSON.stringify({ data: { _entities: [{ openBalance: '1.00' }, { openBalance: '2.00' }] } }));
      },
      async ({ dataSource, registry, received }) => {
        const response = await dataSource.process(entityFetch({ 'x-user-role': 'admin', 'x-service-token': 'forged' }));
        expect(response).toMatchObject({ data: { _entities: [{ openBalance: '1.00' }, { openBalance: '2.00' }] } });
        const [{ headers, body }] = received;
        expect(headers).toMatchObject({ 'x-service-token': 'service-token', 'x-request-id': 'req-1', 'x-user-sub': 'ana', 'x-user-role': 'finance', 'content-type': 'application/json' });
        expect(JSON.parse(body).variables.representations).toHaveLength(2);
        expect(await registry.getSingleMetricAsString('subgraph_fetches_total')).toContain('subgraph_fetches_total{subgraph="erp",outcome="success"} 1');
      },
    );
  });

  it('keeps the coded errors of a 4xx GraphQL answer, with BAD_USER_INPUT where the subgraph gave no code', async () => {
    await withSubgraph(
      (res) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message: 'no such field', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, { message: 'bad' }] }));
      },
      async ({ dataSource }) => {
        const response = await dataSource.process(entityFetch());
        expect(response.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
          ['no such field', 'GRAPHQL_VALIDATION_FAILED'],
          ['bad', 'BAD_USER_INPUT'],
        ]);
      },
    );
  });

  it('turns a 5xx answer into UPSTREAM_UNAVAILABLE on every field it was asked for', async () => {
    await withSubgraph(
      (res) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('bad gateway');
      },
      async ({ dataSource, registry }) => {
        const response = await dataSource.process(entityFetch());
        expect(response.errors?.map((e) => [e.message, e.path, e.extensions?.code])).toEqual([
          ['the erp service is unavailable', ['_entities', 0, 'openBalance'], 'UPSTREAM_UNAVAILABLE'],
          ['the erp service is unavailable', ['_entities', 1, 'openBalance'], 'UPSTREAM_UNAVAILABLE'],
        ]);
        expect(await registry.getSingleMetricAsString('subgraph_fetches_total')).toContain('outcome="unavailable"} 1');
      },
    );
  });

  it('times out a subgraph that sends its headers and then stalls in the body', async () => {
    await withSubgraph(
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"data":{"_entities":[');
      },
      async ({ dataSource }) => {
        const started = Date.now();
        const response = await dataSource.process(entityFetch());
        expect(Date.now() - started).toBeLessThan(1500);
        expect(response.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
          ['the erp service did not answer within 200 ms', 'UPSTREAM_UNAVAILABLE'],
          ['the erp service did not answer within 200 ms', 'UPSTREAM_UNAVAILABLE'],
        ]);
      },
      200,
    );
  });
});
