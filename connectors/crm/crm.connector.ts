import type { ListParams, Page } from '../page';
import type { BulkUpsertResult } from '../bulk';

/**
 * What the product needs from a CRM. Subgraphs and flows depend on this interface only;
 * `HttpCrmConnector` implements it for the reference backend. Ids are the CRM's own (UUIDs).
 * Batch reads take many ids and return the rows found, in any order, missing ids omitted.
 * Writes take an optional idempotency key: the same key returns the first call's result.
 */
export interface CrmConnector {
  // accounts
  getAccounts(ids: readonly string[]): Promise<CrmAccount[]>;
  /** Accounts whose kept ERP customer number is one of `erpCustomerNos`. */
  findAccountsByErpCustomerNos(erpCustomerNos: readonly string[]): Promise<CrmAccount[]>;
  listAccounts(params: ListParams & { search?: string }): Promise<Page<CrmAccount>>;
  createAccount(input: CrmAccountInput, idempotencyKey?: string): Promise<CrmAccount>;
  updateAccount(id: string, patch: Partial<CrmAccountInput>, idempotencyKey?: string): Promise<CrmAccount>;
  getUsers(ids: readonly string[]): Promise<CrmUser[]>;

  // contacts
  listContactsByAccounts(accountIds: readonly string[]): Promise<CrmContact[]>;

  // opportunities
  getOpportunities(ids: readonly string[]): Promise<CrmOpportunity[]>;
  listOpportunities(params: ListParams & { stage?: CrmOpportunityStage; accountId?: string }): Promise<Page<CrmOpportunity>>;
  listOpportunitiesByAccounts(accountIds: readonly string[], options: { stage?: CrmOpportunityStage }): Promise<CrmOpportunity[]>;
  /** Opportunities that became one of these ERP sales orders. */
  findOpportunitiesBySalesOrders(erpSalesOrderIds: readonly string[]): Promise<CrmOpportunity[]>;
  createOpportunity(input: CrmOpportunityInput, idempotencyKey?: string): Promise<CrmOpportunity>;
  updateOpportunity(id: string, patch: { stage?: CrmOpportunityStage; erpSalesOrderId?: string | null }, idempotencyKey?: string): Promise<CrmOpportunity>;

  // activities and cases
  /** The newest `last` activities of each account, newest first. */
  listActivitiesByAccounts(accountIds: readonly string[], options: { last: number }): Promise<CrmActivity[]>;
  createActivity(input: CrmActivityInput, idempotencyKey?: string): Promise<CrmActivity>;
  listCasesByAccounts(accountIds: readonly string[], options: { status?: CrmCaseStatus }): Promise<CrmCase[]>;
  openCase(input: CrmCaseInput, idempotencyKey?: string): Promise<CrmCase>;
}

export interface CrmAccount {
  id: string;
  name: string;
  email: string | null;
  industry: string | null;
  country: string | null;
  /** The ERP customer number once linked. */
  erpCustomerNo: string | null;
  ownerId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface CrmAccountInput {
  name: string;
  email?: string | null;
  industry?: string | null;
  country?: string | null;
  erpCustomerNo?: string | null;
  ownerId?: string | null;
}

export interface CrmUser {
  id: string;
  name: string;
  email: string;
}

export interface CrmContact {
  id: string;
  accountId: string;
  name: string;
  email: string | null;
  phone: string | null;
  title: string | null;
}

export type CrmOpportunityStage = 'PROSPECTING' | 'QUALIFICATION' | 'PROPOSAL' | 'NEGOTIATION' | 'CLOSED_WON' | 'CLOSED_LOST';

export interface CrmOpportunityLine {
  sku: string;
  quantity: number;
  unitPrice: string;
}

export interface CrmOpportunity {
  id: string;
  accountId: string;
  name: string;
  stage: CrmOpportunityStage;
  /** Sum of quantity × unitPrice over the lines. */
  amount: string;
  currency: string;
  expectedCloseDate: string | null;
  /** The ERP order it became, once converted. */
  erpSalesOrderId: string | null;
  ownerId: string | null;
  lines: CrmOpportunityLine[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface CrmOpportunityInput {
  accountId: string;
  name: string;
  lines: CrmOpportunityLine[];
  currency: string;
  expectedCloseDate?: string | null;
  stage?: CrmOpportunityStage;
  ownerId?: string | null;
}

export type CrmActivityType = 'CALL' | 'EMAIL' | 'MEETING' | 'NOTE' | 'SYSTEM';

export interface CrmActivity {
  id: string;
  accountId: string;
  type: CrmActivityType;
  subject: string;
  occurredAt: string;
  erpSalesOrderId: string | null;
}

export interface CrmActivityInput {
  accountId: string;
  type: CrmActivityType;
  subject: string;
  erpSalesOrderId?: string | null;
  occurredAt?: string;
}

export type CrmCaseStatus = 'OPEN' | 'IN_PROGRESS' | 'RESOLVED' | 'CLOSED';
export type CrmCasePriority = 'LOW' | 'MEDIUM' | 'HIGH' | 'URGENT';

export interface CrmCase {
  id: string;
  accountId: string;
  subject: string;
  status: CrmCaseStatus;
  priority: CrmCasePriority;
  openedAt: string;
  erpSalesOrderId: string | null;
}

export interface CrmCaseInput {
  accountId: string;
  subject: string;
  priority: CrmCasePriority;
  erpSalesOrderId?: string | null;
}

/**
 * Bulk import into the CRM, separate from CrmConnector so test doubles of the everyday API need
 * not implement it. Rows are upserted by `importKey` (the source system's id): a re-import
 * updates, never duplicates. At most 500 rows per call; results come back in row order.
 */
export interface CrmBulkConnector {
  upsertAccounts(rows: readonly CrmAccountImport[], idempotencyKey?: string): Promise<BulkUpsertResult[]>;
  upsertOpportunities(rows: readonly CrmOpportunityImport[], idempotencyKey?: string): Promise<BulkUpsertResult[]>;
}

/** One imported account: every field is written as given (absent = null). */
export interface CrmAccountImport {
  importKey: string;
  name: string;
  email?: string | null;
  industry?: string | null;
  country?: string | null;
  ownerId?: string | null;
}

/** One imported opportunity, of the account imported under `accountImportKey`; its lines replace the old ones. */
export interface CrmOpportunityImport {
  importKey: string;
  accountImportKey: string;
  name: string;
  stage?: CrmOpportunityStage;
  currency: string;
  expectedCloseDate?: string | null;
  lines: CrmOpportunityLine[];
}
