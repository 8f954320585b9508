import type DataLoader from 'dataloader';
import type {
  CrmAccount,
  CrmActivity,
  CrmCase,
  CrmCaseStatus,
  CrmConnector,
  CrmContact,
  CrmOpportunity,
  CrmOpportunityStage,
} from '../../connectors/crm/crm.connector';
import { groupedRowsLoader, rowByIdLoader, rowsByOwnerLoader } from '../../platform/batch-loaders';
import { type EntityCache, type InvalidationRule, cachedRows } from '../../platform/entity-cache';

/** How long CRM accounts (customer master data) stay cached, in seconds; change events remove them sooner. */
export const CRM_ACCOUNT_TTL_SECONDS = 300;

/** The cache keys a CRM change event touches: the account's master data. */
export const crmInvalidationRule: InvalidationRule = ({ entity, entityId }) => (entity === 'account' ? [{ kind: 'account', id: entityId }] : []);

/** An account's opportunities, optionally of one stage. */
export interface OpportunitiesKey {
  accountId: string;
  stage: CrmOpportunityStage | null;
}

/** An account's newest `last` activities. */
export interface ActivitiesKey {
  accountId: string;
  last: number;
}

/** An account's service cases, optionally of one status. */
export interface CasesKey {
  accountId: string;
  status: CrmCaseStatus | null;
}

/** The CRM subgraph's per-request loaders: one backend call per type and level of a query. */
export interface CrmLoaders {
  accountById: DataLoader<string, CrmAccount | null>;
  /** The CRM account that keeps an ERP customer number. */
  accountByErpCustomerNo: DataLoader<string, CrmAccount | null>;
  contactsByAccount: DataLoader<string, CrmContact[]>;
  opportunitiesByAccount: DataLoader<OpportunitiesKey, CrmOpportunity[], string>;
  activitiesByAccount: DataLoader<ActivitiesKey, CrmActivity[], string>;
  casesByAccount: DataLoader<CasesKey, CrmCase[], string>;
  opportunityById: DataLoader<string, CrmOpportunity | null>;
  /** The opportunity an ERP sales order came from. */
  opportunityBySalesOrder: DataLoader<string, CrmOpportunity | null>;
}

/** Creates fresh loaders for one request, so no request sees another's cached rows. */
export function createCrmLoaders(crm: CrmConnector, cache?: EntityCache): CrmLoaders {
  const getAccounts = cache ? cachedRows(cache, 'account', CRM_ACCOUNT_TTL_SECONDS, (ids) => crm.getAccounts(ids), (a) => a.id) : (ids: readonly string[]) => crm.getAccounts(ids);
  return {
    accountById: rowByIdLoader(getAccounts, (a) => a.id),
    accountByErpCustomerNo: rowByIdLoader((nos) => crm.findAccountsByErpCustomerNos(nos), (a) => a.erpCustomerNo ?? ''),
    contactsByAccount: rowsByOwnerLoader((ids) => crm.listContactsByAccounts(ids), (c) => c.accountId),
    opportunitiesByAccount: groupedRowsLoader<OpportunitiesKey, CrmOpportunity>({
      ownerOf: (key) => key.accountId,
      argsOf: (key) => key.stage ?? '',
      fetch: (ids, key) => crm.listOpportunitiesByAccounts(ids, { stage: key.stage ?? undefined }),
      rowOwner: (o) => o.accountId,
    }),
    activitiesByAccount: groupedRowsLoader<ActivitiesKey, CrmActivity>({
      ownerOf: (key) => key.accountId,
      argsOf: (key) => String(key.last),
      fetch: (ids, key) => crm.listActivitiesByAccounts(ids, { last: key.last }),
      rowOwner: (a) => a.accountId,
    }),
    casesByAccount: groupedRowsLoader<CasesKey, CrmCase>({
      ownerOf: (key) => key.accountId,
      argsOf: (key) => key.status ?? '',
      fetch: (ids, key) => crm.listCasesByAccounts(ids, { status: key.status ?? undefined }),
      rowOwner: (c) => c.accountId,
    }),
    opportunityById: rowByIdLoader((ids) => crm.getOpportunities(ids), (o) => o.id),
    opportunityBySalesOrder: rowByIdLoader((ids) => crm.findOpportunitiesBySalesOrders(ids), (o) => o.erpSalesOrderId ?? ''),
  };
}
