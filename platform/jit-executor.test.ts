import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { AppError, ErrorCode } from './errors';
import { jitExecutedSchema } from './jit-executor';
import { createLogger } from './logger';
import { formatSubgraphError } from './subgraph-server';

const schema = buildSubgraphSchema({
  typeDefs: parse(`type Query { order(id: ID!): Order }
             type Order { id: ID! lines: [Line!]! }
             type Line { quantity(times: Int!): Int! }`),
  resolvers: {
    Query: {
      order: (_root: unknown, { id }: { id: string }, context: unknown) => {
        const counted = context as { reads: number };
        counted.reads++;
        if (id === 'missing') throw new AppError(ErrorCode.NOT_FOUND, `order ${id} does not exist`);
        return { id, lines: [{ quantity: 2 }, { quantity: 3 }] };
      },
    },
    Line: { quantity: (line: unknown, { times }: { times: number }) => (line as { quantity: number }).quantity * times },
  },
});

describe('graphql-jit executor behind Apollo Server', () => {
  const server = new ApolloServer<{ reads: number }>({
    gateway: jitExecutedSchema(schema),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    formatError: (formatted, error) => formatSubgraphError(formatted, error, createLogger('test', 'silent')),
  });
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  const run = async (query: string, variables: Record<string, unknown>) => {
    const context = { reads: 0 };
    const response = await server.executeOperation({ query, variables }, { contextValue: context });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return { status: response.http.status, reads: context.reads, ...response.body.singleResult };
  };
  const ORDER = 'query ($id: ID!, $times: Int!) { order(id: $id) { id lines { quantity(times: $times) } } }';

  it('answers the same operation again and again with its arguments', async () => {
    for (const times of [1, 10, 100]) {
      expect((await run(ORDER, { id: 'SO-1', times })).data).toEqual({ order: { id: 'SO-1', lines: [{ quantity: 2 * times }, { quantity: 3 * times }] } });
    }
  });

  it('answers introspection and the federation _service field', async () => {
    const answer = await run('{ __schema { queryType { name } } _service { sdl } }', {});
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toMatchObject({ __schema: { queryType: { name: 'Query' } }, _service: { sdl: expect.stringContaining('type Order') } });
  });

  it("keeps a resolver's error code and path", async () => {
    const answer = await run(ORDER, { id: 'missing', times: 1 });
    expect(answer.data).toEqual({ order: null });
    expect(answer.errors).toEqual([expect.objectContaining({ message: 'order missing does not exist', path: ['order'], extensions: { code: 'NOT_FOUND' } })]);
  });

  it('refuses variables that do not coerce as BAD_USER_INPUT with HTTP 400, executing nothing', async () => {
    const answer = await run(ORDER, { id: 'SO-1', times: 'many' });
    expect(answer.data).toBeUndefined();
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(answer.errors?.[0].message).toMatch(/\$times/);
    expect(answer.reads).toBe(0);
  });
});
