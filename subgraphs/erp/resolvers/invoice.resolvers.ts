import type { Resolvers } from '../generated/resolvers-types';
import { money } from '../../../platform/graphql-values';
import { wellFormedId } from '../../../platform/input-ids';
import { paymentInput } from '../inputs';
import { visibleToCaller } from '../partner-scope';
import { callerScopedKey } from '../../../platform/idempotency';

/** Invoices and the payments finance records against them. */
export const invoiceResolvers: Resolvers = {
  Mutation: {
    recordPayment: (_parent, { invoiceId, amount, reference, idempotencyKey }, { erp, principal }) =>
      erp.recordPayment(wellFormedId(invoiceId, 'invoiceId'), paymentInput(amount, reference), callerScopedKey('recordPayment', principal?.sub, idempotencyKey)),
  },
  Invoice: {
    __resolveReference: async (reference, ctx) => visibleToCaller(ctx, await ctx.loaders.invoiceById.load(reference.id)),
    total: (invoice) => money(invoice.total, invoice.currency),
    amountDue: (invoice) => money(invoice.amountDue, invoice.currency),
    customer: (invoice) => ({ erpCustomerNo: invoice.customerNo }),
    salesOrder: (invoice, _args, { loaders }) => (invoice.salesOrderId ? loaders.salesOrderById.load(invoice.salesOrderId) : null),
  },
};
