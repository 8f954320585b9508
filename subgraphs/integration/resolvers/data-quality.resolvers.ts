import { AppError, ErrorCode } from '../../../platform/errors';
import { SYNC_LAG_KEPT_HOURS } from '../sync/sync.repository';
import type { DataQualityIssue, Resolvers } from '../generated/resolvers-types';
import type { IntegrationContext } from '../context';
import { type Issue, issueId } from '../reconciliation/find-issues';
import type { ReconciliationReport } from '../reconciliation/reconciliation.service';

/** One stored finding as the API shows it; its customer is resolved through the request's loaders. */
async function toIssue(issue: Issue, ctx: IntegrationContext) {
  return {
    id: issueId(issue),
    kind: issue.kind as DataQualityIssue['kind'],
    customer: issue.customerId ? await ctx.customers.byId(issue.customerId) : null,
    field: issue.field,
    crmValue: issue.crmValue,
    erpValue: issue.erpValue,
    detail: issue.detail,
  };
}

/** A stored report as the API shows it. */
async function toReport(report: ReconciliationReport, ctx: IntegrationContext) {
  return { checkedAt: report.checkedAt, issues: await Promise.all(report.issues.map((issue) => toIssue(issue, ctx))) };
}

/** The data-quality report (the latest reconciliation, one run first if none exists, or a fresh one on demand) and the sync's lag. */
export const dataQualityResolvers: Resolvers = {
  Query: {
    dataQualityReport: async (_parent, _args, ctx) => toReport(await ctx.reconciliation.latest(), ctx),
    syncLag: async (_parent, { hours }, ctx) => {
      if (!ctx.sync) throw new AppError(ErrorCode.NOT_IMPLEMENTED, 'the sync is not running in this service');
      const span = hours ?? 24;
      if (!Number.isInteger(span) || span < 1 || span > SYNC_LAG_KEPT_HOURS) throw new AppError(ErrorCode.BAD_USER_INPUT, `hours must be 1 to ${SYNC_LAG_KEPT_HOURS}`, { field: 'hours' });
      return (await ctx.sync.lagByHour(span)).map((h) => ({ ...h, source: h.source === 'crm' ? 'CRM' : 'ERP' }));
    },
    dataQualityIssue: async (_parent, { id }, ctx) => {
      const issue = (await ctx.reconciliation.latest()).issues.find((candidate) => issueId(candidate) === id);
      return issue ? toIssue(issue, ctx) : null;
    },
  },
  Mutation: {
    runReconciliation: async (_parent, _args, ctx) => toReport(await ctx.reconciliation.run(), ctx),
  },
};
