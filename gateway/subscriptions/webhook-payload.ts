import type { ApolloServer } from '@apollo/server';
import type { FastifyInstance } from 'fastify';
import { type GraphQLSchema, parse, print } from 'graphql';
import { z } from 'zod';
import { tryParseCustomerId } from '../../platform/customer-id';
import { ErrorCode } from '../../platform/errors';
import { SERVICE_TOKEN_HEADER, verifyServiceToken } from '../../platform/service-auth';
import type { Principal } from '../auth';
import { type FieldScopes, authorizeDocument, scopesOf } from '../authorization';
import type { GatewayContext } from '../context';

/** The internal route the integration renders partner webhook bodies through. */
export const WEBHOOK_PAYLOAD_ROUTE = '/internal/webhook-payload';

/** What each partner event's body holds: the query run as the partner for the event's sales order. */
const PAYLOAD_QUERIES: Record<string, string> = {
  'order.shipped': `query ($id: ID!) { salesOrder(id: $id) { id number status customer { id name }
    shipments { id number status carrier trackingNumber shippedAt } } }`,
  'invoice.issued': `query ($id: ID!) { salesOrder(id: $id) { id number status customer { id name }
    invoices { id number status total { amount currency } amountDue { amount currency } dueDate } } }`,
};

const bodySchema = z.object({
  eventType: z.enum(['order.shipped', 'invoice.issued']),
  entityKey: z.string().min(1).max(200),
  customerId: z.string().min(1).max(200),
  subscriptionId: z.string().uuid(),
});

/**
 * POST /internal/webhook-payload: the body of a partner webhook delivery, resolved through the
 * supergraph with a partner principal for the delivery's customer, so it never holds a field the
 * partner's role may not read nor another customer's data (the partner scope of the subgraphs).
 * Only the integration may call it (service credential), and only for the fixed event queries.
 * Answers `{data}` or `{data: null}` when the partner may not see the order.
 */
export function registerWebhookPayloadRoute(app: FastifyInstance, deps: { server: ApolloServer<GatewayContext>; schema: GraphQLSchema; fieldScopes: FieldScopes; internalSecret: string }): void {
  app.post(WEBHOOK_PAYLOAD_ROUTE, async (req, reply) => {
    const header = req.headers[SERVICE_TOKEN_HEADER];
    if (verifyServiceToken(deps.internalSecret, Array.isArray(header) ? header[0] : header) !== 'integration') {
      return reply.code(401).send({ error: { code: ErrorCode.UNAUTHENTICATED, message: 'internal credential required' } });
    }
    const parsed = bodySchema.safeParse(req.body);
    if (!parsed.success || !tryParseCustomerId(parsed.data.customerId)) return reply.code(400).send({ error: { code: ErrorCode.BAD_USER_INPUT, message: 'not a webhook payload request' } });
    const { eventType, entityKey, customerId, subscriptionId } = parsed.data;
    const principal: Principal = { sub: `webhook:${subscriptionId}`, role: 'partner', customerId };
    const authorized = authorizeDocument(deps.schema, deps.fieldScopes, parse(PAYLOAD_QUERIES[eventType]), undefined, scopesOf(principal), { id: entityKey });
    if (!authorized) return reply.code(500).send({ error: { code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'payload query invalid' } });
    const response = await deps.server.executeOperation(
      { query: print(authorized.document), variables: { id: entityKey } },
      { contextValue: { principal, requestId: req.id, authorization: authorized.outcome } },
    );
    if (response.body.kind !== 'single') return reply.code(500).send({ error: { code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'unexpected answer' } });
    const result = response.body.singleResult;
    const salesOrder = (result.data as { salesOrder?: unknown } | null | undefined)?.salesOrder ?? null;
    // A partial answer (a system down) is not sent: the delivery is retried until it is whole.
    if (result.errors?.some((error) => error.extensions?.code !== ErrorCode.FORBIDDEN)) {
      return reply.code(503).send({ error: { code: ErrorCode.UPSTREAM_UNAVAILABLE, message: 'the payload could not be read whole; retry' } });
    }
    return { data: salesOrder === null ? null : { salesOrder } };
  });
}
