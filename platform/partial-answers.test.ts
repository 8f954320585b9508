import { ApolloServer } from '@apollo/server';
import { GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { AppError, ErrorCode } from './errors';
import { degradeUnavailableLists, partialAnswersPlugin } from './partial-answers';

// A customer whose contacts come from a backend that is down, and whose name does not.
function customerSchema(): GraphQLSchema {
  const customer = new GraphQLObjectType({
    name: 'Customer',
    fields: {
      name: { type: new GraphQLNonNull(GraphQLString) },
      contacts: {
        type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))),
        resolve: async () => {
          throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, 'the CRM did not answer');
        },
      },
    },
  });
  return new GraphQLSchema({ query: new GraphQLObjectType({ name: 'Query', fields: { customer: { type: customer, resolve: () => ({ name: 'Acme' }) } } }) });
}

describe('partial answers under a non-null contract', () => {
  it('answers an unavailable list empty with UPSTREAM_UNAVAILABLE at its path, each request with its own errors', async () => {
    const server = new ApolloServer<{ degradedLists?: unknown[] }>({ schema: degradeUnavailableLists(customerSchema()), plugins: [partialAnswersPlugin()] });
    await server.start();
    try {
      const [first, second] = await Promise.all([{}, {}].map((contextValue) => server.executeOperation({ query: '{ customer { name contacts } }' }, { contextValue })));
      for (const response of [first, second]) {
        if (response.body.kind !== 'single') throw new Error('expected a single result');
        expect(response.body.singleResult.data).toEqual({ customer: { name: 'Acme', contacts: [] } });
        expect(response.body.singleResult.errors).toEqual([{ message: 'the CRM did not answer', path: ['customer', 'contacts'], extensions: { code: 'UPSTREAM_UNAVAILABLE' } }]);
      }
    } finally {
      await server.stop();
    }
  });
});
