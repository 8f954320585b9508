import { AppError, ErrorCode } from '../../../platform/errors';
import { MAX_PAGE_SIZE, pageSize } from '../../../platform/pagination';
import type { Resolvers } from '../generated/resolvers-types';

/** The audit log of mutations; the gateway lets admins only through (@requiresScopes). */
export const auditLogResolvers: Resolvers = {
  Query: {
    auditLog: async (_parent, { first, after }, ctx) => {
      // Defence in depth: the subgraph too refuses anyone the gateway did not forward as an admin.
      if (ctx.principal && ctx.principal.role !== 'admin') throw new AppError(ErrorCode.FORBIDDEN, 'the audit log is for admins');
      if (!ctx.auditLog) throw new AppError(ErrorCode.NOT_IMPLEMENTED, 'the audit log is not kept by this service');
      return ctx.auditLog.page(pageSize(first, 50, MAX_PAGE_SIZE), after);
    },
  },
};
