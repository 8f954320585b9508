import { randomUUID } from 'node:crypto';
import type {
  CrmAccount,
  CrmActivity,
  CrmActivityInput,
  CrmCase,
  CrmCaseInput,
  CrmCaseStatus,
  CrmConnector,
  CrmContact,
  CrmOpportunity,
  CrmOpportunityInput,
  CrmOpportunityStage,
  CrmUser,
} from '../../../connectors/crm/crm.connector';
import type { ListParams, Page } from '../../../connectors/page';
import { AppError, ErrorCode } from '../../../platform/errors';
import { Money, formatAmount } from '../../../platform/money';

/** The rows an in-memory CRM starts with. */
export interface InMemoryCrmData {
  accounts?: CrmAccount[];
  contacts?: CrmContact[];
  opportunities?: CrmOpportunity[];
  activities?: CrmActivity[];
  cases?: CrmCase[];
}

const NOW = '2026-03-01T12:00:00.000Z';

/**
 * A CrmConnector over arrays, for the subgraph's unit tests: it counts calls per operation (to
 * prove batching) and can play a backend that is down. Account writes, which the subgraph never
 * makes, are NOT_IMPLEMENTED rather than faked.
 */
export class InMemoryCrmConnector implements CrmConnector {
  /** Calls per operation since the last reset. */
  readonly calls = new Map<string, number>();
  /** Operations that fail as if the backend were unreachable. */
  readonly down = new Set<string>();
  readonly accounts: CrmAccount[];
  readonly contacts: CrmContact[];
  readonly opportunities: CrmOpportunity[];
  readonly activities: CrmActivity[];
  readonly cases: CrmCase[];

  constructor(data: InMemoryCrmData = {}) {
    this.accounts = data.accounts ?? [];
    this.contacts = data.contacts ?? [];
    this.opportunities = data.opportunities ?? [];
    this.activities = data.activities ?? [];
    this.cases = data.cases ?? [];
  }

  /** How many times `operation` was called. */
  callsOf(operation: string): number {
    return this.calls.get(operation) ?? 0;
  }

  /** Total calls over every operation. */
  totalCalls(): number {
    return [...this.calls.values()].reduce((sum, n) => sum + n, 0);
  }

  private call(operation: string): void {
    this.calls.set(operation, this.callsOf(operation) + 1);
    if (this.down.has(operation)) throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `crm is unavailable (${operation})`, { system: 'crm' });
  }

  async getAccounts(ids: readonly string[]): Promise<CrmAccount[]> {
    this.call('getAccounts');
    return this.accounts.filter((a) => ids.includes(a.id));
  }

  async findAccountsByErpCustomerNos(erpCustomerNos: readonly string[]): Promise<CrmAccount[]> {
    this.call('findAccountsByErpCustomerNos');
    return this.accounts.filter((a) => a.erpCustomerNo !== null && erpCustomerNos.includes(a.erpCustomerNo));
  }

  async listAccounts(params: ListParams): Promise<Page<CrmAccount>> {
    this.call('listAccounts');
    return page(this.accounts, params);
  }

  async createAccount(): Promise<CrmAccount> {
    return this.notUsed('createAccount');
  }

  async updateAccount(): Promise<CrmAccount> {
    return this.notUsed('updateAccount');
  }

  async getUsers(): Promise<CrmUser[]> {
    return this.notUsed('getUsers');
  }

  async listContactsByAccounts(accountIds: readonly string[]): Promise<CrmContact[]> {
    this.call('listContactsByAccounts');
    return this.contacts.filter((c) => accountIds.includes(c.accountId));
  }

  async getOpportunities(ids: readonly string[]): Promise<CrmOpportunity[]> {
    this.call('getOpportunities');
    return this.opportunities.filter((o) => ids.includes(o.id));
  }

  async listOpportunities(params: ListParams & { stage?: CrmOpportunityStage; accountId?: string }): Promise<Page<CrmOpportunity>> {
    this.call('listOpportunities');
    return page(
      this.opportunities.filter((o) => (!params.stage || o.stage === params.stage) && (!params.accountId || o.accountId === params.accountId)),
      params,
    );
  }

  async listOpportunitiesByAccounts(accountIds: readonly string[], options: { stage?: CrmOpportunityStage }): Promise<CrmOpportunity[]> {
    this.call('listOpportunitiesByAccounts');
    return this.opportunities.filter((o) => accountIds.includes(o.accountId) && (!options.stage || o.stage === options.stage));
  }

  async findOpportunitiesBySalesOrders(erpSalesOrderIds: readonly string[]): Promise<CrmOpportunity[]> {
    this.call('findOpportunitiesBySalesOrders');
    return this.opportunities.filter((o) => o.erpSalesOrderId !== null && erpSalesOrderIds.includes(o.erpSalesOrderId));
  }

  async createOpportunity(input: CrmOpportunityInput): Promise<CrmOpportunity> {
    this.call('createOpportunity');
    const amount = input.lines.reduce((sum, line) => sum.plus(new Money(line.unitPrice).times(line.quantity)), new Money(0));
    const opportunity: CrmOpportunity = {
      id: randomUUID(),
      accountId: input.accountId,
      name: input.name,
      stage: input.stage ?? 'PROSPECTING',
      amount: formatAmount(amount),
      currency: input.currency,
      expectedCloseDate: input.expectedCloseDate ?? null,
      erpSalesOrderId: null,
      ownerId: input.ownerId ?? null,
      lines: input.lines.map((line) => ({ ...line })),
      version: 1,
      createdAt: NOW,
      updatedAt: NOW,
    };
    this.opportunities.push(opportunity);
    return { ...opportunity };
  }

  async updateOpportunity(id: string, patch: { stage?: CrmOpportunityStage; erpSalesOrderId?: string | null }): Promise<CrmOpportunity> {
    this.call('updateOpportunity');
    const opportunity = this.opportunities.find((o) => o.id === id);
    if (!opportunity) throw new AppError(ErrorCode.NOT_FOUND, `opportunity ${id} not found`);
    Object.assign(opportunity, patch, { version: opportunity.version + 1 });
    return { ...opportunity };
  }

  async listActivitiesByAccounts(accountIds: readonly string[], options: { last: number }): Promise<CrmActivity[]> {
    this.call('listActivitiesByAccounts');
    return accountIds.flatMap((id) =>
      this.activities
        .filter((a) => a.accountId === id)
        .sort((a, b) => b.occurredAt.localeCompare(a.occurredAt))
        .slice(0, options.last),
    );
  }

  async createActivity(input: CrmActivityInput): Promise<CrmActivity> {
    this.call('createActivity');
    const activity: CrmActivity = { id: randomUUID(), accountId: input.accountId, type: input.type, subject: input.subject, occurredAt: input.occurredAt ?? NOW, erpSalesOrderId: input.erpSalesOrderId ?? null };
    this.activities.push(activity);
    return { ...activity };
  }

  async listCasesByAccounts(accountIds: readonly string[], options: { status?: CrmCaseStatus }): Promise<CrmCase[]> {
    this.call('listCasesByAccounts');
    return this.cases.filter((c) => accountIds.includes(c.accountId) && (!options.status || c.status === options.status));
  }

  async openCase(input: CrmCaseInput): Promise<CrmCase> {
    this.call('openCase');
    const serviceCase: CrmCase = { id: randomUUID(), accountId: input.accountId, subject: input.subject, status: 'OPEN', priority: input.priority, openedAt: NOW, erpSalesOrderId: input.erpSalesOrderId ?? null };
    this.cases.push(serviceCase);
    return { ...serviceCase };
  }

  private notUsed(operation: string): never {
    throw new AppError(ErrorCode.NOT_IMPLEMENTED, `${operation} is not part of the in-memory CRM`);
  }
}

/** Offset paging with the offset as cursor: enough for the subgraph, which passes cursors through. */
function page<Row>(rows: Row[], params: ListParams): Page<Row> {
  const start = params.after ? Number(Buffer.from(params.after, 'base64url').toString('utf8')) : 0;
  const size = params.first ?? 50;
  const items = rows.slice(start, start + size);
  const next = start + size < rows.length ? Buffer.from(String(start + size), 'utf8').toString('base64url') : null;
  return { items, nextCursor: next, totalCount: rows.length };
}
