import type { DataQualityIssue, Resolvers } from '../generated/resolvers-types';
import type { IntegrationContext } from '../context';
import type { ReconciliationReport } from '../reconciliation/reconciliation.service';

/** A stored report as the API shows it; each issue's customer is resolved through the request's loaders. */
async function toReport(report: ReconciliationReport, ctx: IntegrationContext) {
  const issues = await Promise.all(
    report.issues.map(async (issue) => ({
      kind: issue.kind as DataQualityIssue['kind'],
      customer: issue.customerId ? await ctx.customers.byId(issue.customerId) : null,
      field: issue.field,
      crmValue: issue.crmValue,
      erpValue: issue.erpValue,
      detail: issue.detail,
    })),
  );
  return { checkedAt: report.checkedAt, issues };
}

/** The data-quality report: the latest reconciliation (one runs first if none exists), or a fresh one on demand. */
export const dataQualityResolvers: Resolvers = {
  Query: {
    dataQualityReport: async (_parent, _args, ctx) => toReport(await ctx.reconciliation.latest(), ctx),
  },
  Mutation: {
    runReconciliation: async (_parent, _args, ctx) => toReport(await ctx.reconciliation.run(), ctx),
  },
};
