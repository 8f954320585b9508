import { JsonHttpClient } from '../../platform/http-client';
import type { ServiceMetrics } from '../../platform/metrics';
import type { BulkUpsertResult } from '../bulk';
import type { ListParams, Page } from '../page';
import type {
  CrmAccount,
  CrmAccountInput,
  CrmActivity,
  CrmActivityInput,
  CrmCase,
  CrmCaseInput,
  CrmCaseStatus,
  CrmAccountImport,
  CrmBulkConnector,
  CrmConnector,
  CrmOpportunityImport,
  CrmContact,
  CrmOpportunity,
  CrmOpportunityInput,
  CrmOpportunityStage,
  CrmUser,
} from './crm.connector';

/** How to reach the CRM reference backend. */
export interface HttpCrmConnectorOptions {
  baseUrl: string;
  /** Produces the internal credential (see platform/service-auth serviceTokenSigner). */
  serviceToken: () => string;
  /** Per-attempt timeout in milliseconds; default 5000. */
  timeoutMs?: number;
  /** Extra attempts for reads and keyed writes; default 2. */
  retries?: number;
  /** Where `connector_requests_total{system="crm",operation}` is counted. */
  metrics?: ServiceMetrics;
  /** Ids per batch call; longer lists are split into parallel calls. Default 200. */
  batchSize?: number;
}

const SYSTEM = 'crm';

/**
 * The CrmConnector for the reference CRM backend's REST API. Batch reads send many ids in one
 * call (split in chunks so URLs stay short); an empty batch costs no call at all.
 */
export class HttpCrmConnector implements CrmConnector, CrmBulkConnector {
  private readonly client: JsonHttpClient;
  private readonly batchSize: number;

  constructor(options: HttpCrmConnectorOptions) {
    const { metrics } = options;
    this.batchSize = options.batchSize ?? 200;
    this.client = new JsonHttpClient({
      system: SYSTEM,
      baseUrl: options.baseUrl,
      serviceToken: options.serviceToken,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      metrics,
    });
  }

  getAccounts(ids: readonly string[]): Promise<CrmAccount[]> {
    return this.batch<CrmAccount>('getAccounts', '/accounts', 'ids', ids);
  }

  findAccountsByErpCustomerNos(erpCustomerNos: readonly string[]): Promise<CrmAccount[]> {
    return this.batch<CrmAccount>('findAccountsByErpCustomerNos', '/accounts', 'erp_customer_nos', erpCustomerNos);
  }

  listAccounts(params: ListParams & { search?: string }): Promise<Page<CrmAccount>> {
    return this.client.call({ operation: 'listAccounts', method: 'GET', path: '/accounts', query: { ...pageQuery(params), search: params.search } });
  }

  createAccount(input: CrmAccountInput, idempotencyKey?: string): Promise<CrmAccount> {
    return this.client.call({ operation: 'createAccount', method: 'POST', path: '/accounts', body: input, idempotencyKey });
  }

  updateAccount(id: string, patch: Partial<CrmAccountInput>, idempotencyKey?: string): Promise<CrmAccount> {
    return this.client.call({ operation: 'updateAccount', method: 'PATCH', path: `/accounts/${encodeURIComponent(id)}`, body: patch, idempotencyKey });
  }

  getUsers(ids: readonly string[]): Promise<CrmUser[]> {
    return this.batch<CrmUser>('getUsers', '/users', 'ids', ids);
  }

  listContactsByAccounts(accountIds: readonly string[]): Promise<CrmContact[]> {
    return this.batch<CrmContact>('listContactsByAccounts', '/contacts', 'account_ids', accountIds);
  }

  getOpportunities(ids: readonly string[]): Promise<CrmOpportunity[]> {
    return this.batch<CrmOpportunity>('getOpportunities', '/opportunities', 'ids', ids);
  }

  listOpportunities(params: ListParams & { stage?: CrmOpportunityStage; accountId?: string }): Promise<Page<CrmOpportunity>> {
    return this.client.call({
      operation: 'listOpportunities',
      method: 'GET',
      path: '/opportunities',
      query: { ...pageQuery(params), stage: params.stage, account_id: params.accountId },
    });
  }

  listOpportunitiesByAccounts(accountIds: readonly string[], options: { stage?: CrmOpportunityStage }): Promise<CrmOpportunity[]> {
    return this.batch<CrmOpportunity>('listOpportunitiesByAccounts', '/opportunities', 'account_ids', accountIds, { stage: options.stage });
  }

  findOpportunitiesBySalesOrders(erpSalesOrderIds: readonly string[]): Promise<CrmOpportunity[]> {
    return this.batch<CrmOpportunity>('findOpportunitiesBySalesOrders', '/opportunities', 'erp_sales_order_ids', erpSalesOrderIds);
  }

  createOpportunity(input: CrmOpportunityInput, idempotencyKey?: string): Promise<CrmOpportunity> {
    return this.client.call({ operation: 'createOpportunity', method: 'POST', path: '/opportunities', body: input, idempotencyKey });
  }

  updateOpportunity(id: string, patch: { stage?: CrmOpportunityStage; erpSalesOrderId?: string | null }, idempotencyKey?: string): Promise<CrmOpportunity> {
    return this.client.call({ operation: 'updateOpportunity', method: 'PATCH', path: `/opportunities/${encodeURIComponent(id)}`, body: patch, idempotencyKey });
  }

  listActivitiesByAccounts(accountIds: readonly string[], options: { last: number }): Promise<CrmActivity[]> {
    return this.batch<CrmActivity>('listActivitiesByAccounts', '/activities', 'account_ids', accountIds, { last: options.last });
  }

  createActivity(input: CrmActivityInput, idempotencyKey?: string): Promise<CrmActivity> {
    return this.client.call({ operation: 'createActivity', method: 'POST', path: '/activities', body: input, idempotencyKey });
  }

  listCasesByAccounts(accountIds: readonly string[], options: { status?: CrmCaseStatus }): Promise<CrmCase[]> {
    return this.batch<CrmCase>('listCasesByAccounts', '/cases', 'account_ids', accountIds, { status: options.status });
  }

  openCase(input: CrmCaseInput, idempotencyKey?: string): Promise<CrmCase> {
    return this.client.call({ operation: 'openCase', method: 'POST', path: '/cases', body: input, idempotencyKey });
  }

  async upsertAccounts(rows: readonly CrmAccountImport[], idempotencyKey?: string): Promise<BulkUpsertResult[]> {
    const body = await this.client.call<{ results: BulkUpsertResult[] }>({ operation: 'upsertAccounts', method: 'POST', path: '/accounts/bulk', body: { accounts: rows }, idempotencyKey });
    return body.results;
  }

  async upsertOpportunities(rows: readonly CrmOpportunityImport[], idempotencyKey?: string): Promise<BulkUpsertResult[]> {
    const body = await this.client.call<{ results: BulkUpsertResult[] }>({
      operation: 'upsertOpportunities',
      method: 'POST',
      path: '/opportunities/bulk',
      body: { opportunities: rows },
      idempotencyKey,
    });
    return body.results;
  }

  /** Closes the pooled connections. */
  close(): Promise<void> {
    return this.client.close();
  }

  /** One GET per chunk of distinct keys, in parallel; the rows of all chunks together. */
  private async batch<T>(operation: string, path: string, param: string, keys: readonly string[], extra: Record<string, string | number | undefined> = {}): Promise<T[]> {
    const distinct = [...new Set(keys)];
    if (distinct.length === 0) return [];
    const chunks: string[][] = [];
    for (let i = 0; i < distinct.length; i += this.batchSize) chunks.push(distinct.slice(i, i + this.batchSize));
    const pages = await Promise.all(chunks.map((chunk) => this.client.call<Page<T>>({ operation, method: 'GET', path, query: { ...extra, [param]: chunk } })));
    return pages.flatMap((page) => page.items);
  }
}

function pageQuery(params: ListParams): Record<string, string | number | undefined> {
  return { first: params.first, after: params.after ?? undefined, updated_since: params.updatedSince };
}
