import type { Resolvers } from '../generated/resolvers-types';
import { money } from '../../../platform/graphql-values';
import { pageSize } from '../../../platform/pagination';
import { visibleCustomerNo } from '../partner-scope';

/** Currency of the zero balance of a customer the ERP does not hold. */
const DEFAULT_CURRENCY = 'EUR';

/**
 * Customer as the ERP knows it, by customer number. A customer that exists only in the CRM
 * arrives with a null number and answers empty lists, no credit limit and a zero balance.
 */
export const customerResolvers: Resolvers = {
  Customer: {
    // Each field loads what it needs, so a reference asking only for orders reads no customer row.
    // A partner gets null for any customer but its own.
    __resolveReference: async (reference, ctx) => {
      const erpCustomerNo = await visibleCustomerNo(ctx, reference.erpCustomerNo);
      return erpCustomerNo || !reference.erpCustomerNo ? { erpCustomerNo } : null;
    },
    creditLimit: async ({ erpCustomerNo }, _args, { loaders }) => {
      if (!erpCustomerNo) return null;
      const customer = await loaders.customerByNo.load(erpCustomerNo);
      return customer?.creditLimit != null ? money(customer.creditLimit, customer.currency) : null;
    },
    paymentTerms: async ({ erpCustomerNo }, _args, { loaders }) => {
      if (!erpCustomerNo) return null;
      return (await loaders.customerByNo.load(erpCustomerNo))?.paymentTerms ?? null;
    },
    openBalance: async ({ erpCustomerNo }, _args, { loaders }) => {
      const balance = erpCustomerNo ? await loaders.openBalanceByCustomer.load(erpCustomerNo) : null;
      return balance ? money(balance.amount, balance.currency) : money('0', DEFAULT_CURRENCY);
    },
    orders: async ({ erpCustomerNo }, { status, first }, { loaders }) => {
      const size = pageSize(first, 20);
      if (!erpCustomerNo || size === 0) return [];
      return loaders.ordersByCustomer.load({ customerNo: erpCustomerNo, status: status ?? null, first: size });
    },
    invoices: async ({ erpCustomerNo }, { status }, { loaders }) => {
      if (!erpCustomerNo) return [];
      return loaders.invoicesByCustomer.load({ customerNo: erpCustomerNo, status: status ?? null });
    },
  },
};
