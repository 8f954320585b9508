import type { IncomingHttpHeaders } from 'node:http';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { AppError, ErrorCode } from '../../platform/errors';
import { createHttpService, listen } from '../../platform/http-server';
import { createLogger } from '../../platform/logger';
import { createMetrics } from '../../platform/metrics';
import { mountSubgraph } from '../../platform/subgraph-server';

/** A small CRM-like subgraph: it owns customers and their names. */
export const CRM_TEST_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Query {
    customers: [Customer!]
  }
  type Customer @key(fields: "id") {
    id: ID!
    name: String!
  }
`;

/** A small ERP-like subgraph: products, the balance, credit limit, invoices and sales orders of customers, payments. */
export const ERP_TEST_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@requiresScopes"])
  type Query {
    products: [Product!]
    "Always refused with CREDIT_LIMIT_EXCEEDED."
    creditCheck: String
    "Always fails with an unexpected error whose message must not reach clients."
    brokenReport: String
  }
  type Mutation {
    "Finance only; non-null, so a refusal nulls the whole data."
    recordPayment(invoiceId: ID!, amount: String!): Payment! @requiresScopes(scopes: [["finance"]])
    "Open to every role."
    logNote(customerId: ID!, text: String!): Note
  }
  type Payment {
    id: ID!
    invoiceId: ID!
  }
  type Note {
    id: ID!
  }
  type Product {
    sku: ID!
    name: String!
  }
  type Customer @key(fields: "id") {
    id: ID!
    openBalance: String
    "Finance only; non-null, so a refusal nulls the customer."
    creditLimit: String! @requiresScopes(scopes: [["finance"]])
    "Finance only."
    invoices: [Invoice!]! @requiresScopes(scopes: [["finance"]])
    salesOrders: [SalesOrder!]
  }
  type Invoice {
    number: String!
  }
  type SalesOrder {
    number: String!
    total: String!
  }
`;

/** The customers both test subgraphs know. */
export const TEST_CUSTOMERS = [
  { id: 'crm:7d7b1c8e-3a6f-4e43-9d1e-2f7b0c1a9e01', name: 'Kessler Maschinenbau GmbH', openBalance: '1250.00', salesOrders: [{ number: 'SO-1001', total: '1250.00' }] },
  { id: 'erp:K-10023', name: 'Nordwind Logistik AG', openBalance: '0.00', salesOrders: [] },
];

/** The secret text of brokenReport's failure; tests check it never leaves the gateway. */
export const LEAKY_ERROR_TEXT = 'connection to db-internal:5432 failed for user erp_admin';

/** The test supergraph composed from both SDLs (URLs are placeholders; the gateway's config supplies real ones). */
export function composeTestSupergraph(): string {
  const result = composeServices([
    { name: 'crm', url: 'http://crm.invalid/graphql', typeDefs: parse(CRM_TEST_SDL) },
    { name: 'erp', url: 'http://erp.invalid/graphql', typeDefs: parse(ERP_TEST_SDL) },
  ]);
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.supergraphSdl;
}

/** A running test subgraph. */
export interface TestSubgraph {
  /** Its GraphQL endpoint. */
  url: string;
  /** Headers of every GraphQL request it received, in order. */
  received: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** How a test subgraph behaves. */
export interface TestSubgraphOptions {
  /** The internal secret it requires in x-service-token, as real subgraphs do. */
  internalSecret: string;
  /** Every resolver waits until the subgraph is closed: a subgraph that hangs. */
  hang?: boolean;
}

/** Starts the crm or erp test subgraph on a free port. */
export async function startTestSubgraph(name: 'crm' | 'erp', options: TestSubgraphOptions): Promise<TestSubgraph> {
  const logger = createLogger(`${name}-test-subgraph`, 'silent');
  const app = createHttpService({ service: `${name}-test-subgraph`, logger, metrics: createMetrics(name), ready: async () => {}, internalSecret: options.internalSecret });
  const received: IncomingHttpHeaders[] = [];
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const answer = async <T>(value: T): Promise<T> => {
    if (options.hang) await released;
    return value;
  };
  const byId = (id: string) => TEST_CUSTOMERS.find((c) => c.id === id);

  const resolvers =
    name === 'crm'
      ? {
          Query: { customers: () => answer(TEST_CUSTOMERS.map(({ id, name: customerName }) => ({ id, name: customerName }))) },
          Customer: { __resolveReference: (ref: { id: string }) => answer(byId(ref.id) ?? null) },
        }
      : {
          Query: {
            products: () => answer([{ sku: 'P-100', name: 'Gear pump' }]),
            creditCheck: () => {
              throw new AppError(ErrorCode.CREDIT_LIMIT_EXCEEDED, 'credit limit exceeded for erp:K-10023');
            },
            brokenReport: () => {
              throw new Error(LEAKY_ERROR_TEXT);
            },
          },
          Mutation: {
            recordPayment: (_: unknown, args: { invoiceId: string }) => answer({ id: `PAY-${args.invoiceId}`, invoiceId: args.invoiceId }),
            logNote: (_: unknown, args: { customerId: string }) => answer({ id: `NOTE-${args.customerId}` }),
          },
          Customer: {
            __resolveReference: (ref: { id: string }) => answer(byId(ref.id) ?? null),
            creditLimit: () => '5000.00',
            invoices: () => [{ number: 'INV-1' }],
          },
        };

  await mountSubgraph({
    app,
    typeDefs: name === 'crm' ? CRM_TEST_SDL : ERP_TEST_SDL,
    resolvers,
    logger,
    development: true,
    context: async (request) => {
      received.push(request.headers);
      return {};
    },
  });
  const port = await listen(app, 0);
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    received,
    close: async () => {
      release();
      await app.close();
    },
  };
}
