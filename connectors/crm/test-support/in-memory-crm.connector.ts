import { randomUUID } from 'node:crypto';
import type {
  CrmAccount,
  CrmAccountInput,
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
} from '../crm.connector';
import type { ListParams, Page } from '../../page';
import { IdempotentReplies, copies, copyPage, definedFields, found, keysetPageOf } from '../../test-support/in-memory-backend';
import { AppError, ErrorCode } from '../../../platform/errors';
import { Money, formatAmount } from '../../../platform/money';

/** The rows an in-memory CRM starts with. */
export interface InMemoryCrmData {
  accounts?: CrmAccount[];
  users?: CrmUser[];
  contacts?: CrmContact[];
  opportunities?: CrmOpportunity[];
  activities?: CrmActivity[];
  cases?: CrmCase[];
}

/** A change a write made, as the backend's webhook announces it. */
export interface CrmChange {
  entity: 'account' | 'opportunity' | 'activity' | 'case';
  entityId: string;
  version: number;
  action: 'created' | 'updated';
}

/**
 * The CrmConnector over maps, for tests, keeping the reference CRM's promises: batch reads omit
 * unknown ids, lists are keyset pages oldest first, a write under a known idempotency key returns
 * its first answer (and one with another request is a CONFLICT), references (account, owner)
 * must exist, an ERP customer number is kept by one account only, an opportunity becomes one
 * sales order only, and a patch that changes nothing leaves the version alone. Faults and the
 * call journal come from ConnectorFaults around it.
 */
export class InMemoryCrmConnector implements CrmConnector {
  readonly accounts = new Map<string, CrmAccount>();
  readonly users = new Map<string, CrmUser>();
  readonly contacts = new Map<string, CrmContact>();
  readonly opportunities = new Map<string, CrmOpportunity>();
  readonly activities = new Map<string, CrmActivity>();
  readonly cases = new Map<string, CrmCase>();
  /** Told of every change a write made, as a backend's webhook would be (tests relay it to the event bus). */
  onChange?: (change: CrmChange) => void;
  private readonly replies = new IdempotentReplies();
  private readonly now: () => string;

  /** `now` stamps writes (ISO instant); default the real clock. */
  constructor(data: InMemoryCrmData = {}, options: { now?: () => string } = {}) {
    this.now = options.now ?? (() => new Date().toISOString());
    this.load(data);
  }

  /** Forgets every record, stored answer and change listener, then holds `data`. */
  reset(data: InMemoryCrmData = {}): void {
    for (const rows of [this.accounts, this.users, this.contacts, this.opportunities, this.activities, this.cases]) rows.clear();
    this.replies.clear();
    this.onChange = undefined;
    this.load(data);
  }

  /** Puts an account in place under a new id, as if it had always been there (no change is announced). */
  seedAccount(fields: Partial<CrmAccount> & { name: string }): CrmAccount {
    const now = this.now();
    const account: CrmAccount = {
      id: randomUUID(),
      email: null,
      industry: null,
      country: null,
      erpCustomerNo: null,
      ownerId: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
      ...definedFields(fields),
      name: fields.name,
    };
    this.accounts.set(account.id, account);
    return structuredClone(account);
  }

  // accounts

  async getAccounts(ids: readonly string[]): Promise<CrmAccount[]> {
    return found(this.accounts, ids);
  }

  async findAccountsByErpCustomerNos(erpCustomerNos: readonly string[]): Promise<CrmAccount[]> {
    return copies([...this.accounts.values()].filter((a) => a.erpCustomerNo !== null && erpCustomerNos.includes(a.erpCustomerNo)));
  }

  async listAccounts(params: ListParams & { search?: string }): Promise<Page<CrmAccount>> {
    const search = params.search?.toLowerCase();
    const rows = [...this.accounts.values()].filter((a) => !search || [a.name, a.email ?? ''].some((text) => text.toLowerCase().includes(search)));
    return copyPage(keysetPageOf(rows, params, { key: (a) => a.id, browse: 'oldest', createdAt: (a) => a.createdAt, updatedAt: (a) => a.updatedAt }));
  }

  async createAccount(input: CrmAccountInput, idempotencyKey?: string): Promise<CrmAccount> {
    return this.replies.run(idempotencyKey, ['createAccount', input], () => {
      this.assertOwnerExists(input.ownerId);
      this.assertErpCustomerNoFree(input.erpCustomerNo ?? null, null);
      const account = this.seedAccount(input);
      return this.changed('account', account, 'created');
    });
  }

  async updateAccount(id: string, patch: Partial<CrmAccountInput>, idempotencyKey?: string): Promise<CrmAccount> {
    return this.replies.run(idempotencyKey, ['updateAccount', id, patch], () => {
      this.assertOwnerExists(patch.ownerId);
      const account = this.existing(this.accounts, id, 'account');
      if (patch.erpCustomerNo !== undefined) this.assertErpCustomerNoFree(patch.erpCustomerNo, id);
      const next = { ...account, ...definedFields(patch) };
      if (sameFields(account, next)) return account;
      return this.changed('account', this.put(this.accounts, next), 'updated');
    });
  }

  async getUsers(ids: readonly string[]): Promise<CrmUser[]> {
    return found(this.users, ids);
  }

  // contacts

  async listContactsByAccounts(accountIds: readonly string[]): Promise<CrmContact[]> {
    return copies([...this.contacts.values()].filter((c) => accountIds.includes(c.accountId)));
  }

  // opportunities

  async getOpportunities(ids: readonly string[]): Promise<CrmOpportunity[]> {
    return found(this.opportunities, ids);
  }

  async listOpportunities(params: ListParams & { stage?: CrmOpportunityStage; accountId?: string }): Promise<Page<CrmOpportunity>> {
    const rows = [...this.opportunities.values()].filter((o) => (!params.stage || o.stage === params.stage) && (!params.accountId || o.accountId === params.accountId));
    return copyPage(keysetPageOf(rows, params, { key: (o) => o.id, browse: 'oldest', createdAt: (o) => o.createdAt, updatedAt: (o) => o.updatedAt }));
  }

  async listOpportunitiesByAccounts(accountIds: readonly string[], options: { stage?: CrmOpportunityStage }): Promise<CrmOpportunity[]> {
    return copies([...this.opportunities.values()].filter((o) => accountIds.includes(o.accountId) && (!options.stage || o.stage === options.stage)));
  }

  async findOpportunitiesBySalesOrders(erpSalesOrderIds: readonly string[]): Promise<CrmOpportunity[]> {
    return copies([...this.opportunities.values()].filter((o) => o.erpSalesOrderId !== null && erpSalesOrderIds.includes(o.erpSalesOrderId)));
  }

  /** The amount is the exact sum of quantity × unitPrice over the lines. */
  async createOpportunity(input: CrmOpportunityInput, idempotencyKey?: string): Promise<CrmOpportunity> {
    return this.replies.run(idempotencyKey, ['createOpportunity', input], () => {
      this.existing(this.accounts, input.accountId, 'account', 'accountId');
      this.assertOwnerExists(input.ownerId);
      const amount = input.lines.reduce((sum, line) => sum.plus(new Money(line.unitPrice).times(line.quantity)), new Money(0));
      const now = this.now();
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
        createdAt: now,
        updatedAt: now,
      };
      this.opportunities.set(opportunity.id, opportunity);
      return this.changed('opportunity', opportunity, 'created');
    });
  }

  /** Linking an opportunity that already became another sales order is a CONFLICT; clearing the link with null is allowed. */
  async updateOpportunity(id: string, patch: { stage?: CrmOpportunityStage; erpSalesOrderId?: string | null }, idempotencyKey?: string): Promise<CrmOpportunity> {
    return this.replies.run(idempotencyKey, ['updateOpportunity', id, patch], () => {
      const opportunity = this.existing(this.opportunities, id, 'opportunity');
      const linked = opportunity.erpSalesOrderId;
      if (patch.erpSalesOrderId && linked && linked !== patch.erpSalesOrderId) {
        throw new AppError(ErrorCode.CONFLICT, `opportunity already became sales order ${linked}`, { field: 'erpSalesOrderId', erpSalesOrderId: linked });
      }
      const next = { ...opportunity, ...definedFields(patch) };
      if (sameFields(opportunity, next)) return opportunity;
      return this.changed('opportunity', this.put(this.opportunities, next), 'updated');
    });
  }

  // activities and cases

  async listActivitiesByAccounts(accountIds: readonly string[], options: { last: number }): Promise<CrmActivity[]> {
    const newestFirst = (a: CrmActivity, b: CrmActivity) => b.occurredAt.localeCompare(a.occurredAt) || b.id.localeCompare(a.id);
    return copies(accountIds.flatMap((accountId) => [...this.activities.values()].filter((a) => a.accountId === accountId).sort(newestFirst).slice(0, options.last)));
  }

  async createActivity(input: CrmActivityInput, idempotencyKey?: string): Promise<CrmActivity> {
    return this.replies.run(idempotencyKey, ['createActivity', input], () => {
      this.existing(this.accounts, input.accountId, 'account', 'accountId');
      const activity: CrmActivity = {
        id: randomUUID(),
        accountId: input.accountId,
        type: input.type,
        subject: input.subject,
        occurredAt: input.occurredAt ?? this.now(),
        erpSalesOrderId: input.erpSalesOrderId ?? null,
      };
      this.activities.set(activity.id, activity);
      this.onChange?.({ entity: 'activity', entityId: activity.id, version: 1, action: 'created' });
      return activity;
    });
  }

  async listCasesByAccounts(accountIds: readonly string[], options: { status?: CrmCaseStatus }): Promise<CrmCase[]> {
    return copies([...this.cases.values()].filter((c) => accountIds.includes(c.accountId) && (!options.status || c.status === options.status)));
  }

  async openCase(input: CrmCaseInput, idempotencyKey?: string): Promise<CrmCase> {
    return this.replies.run(idempotencyKey, ['openCase', input], () => {
      this.existing(this.accounts, input.accountId, 'account', 'accountId');
      const serviceCase: CrmCase = {
        id: randomUUID(),
        accountId: input.accountId,
        subject: input.subject,
        status: 'OPEN',
        priority: input.priority,
        openedAt: this.now(),
        erpSalesOrderId: input.erpSalesOrderId ?? null,
      };
      this.cases.set(serviceCase.id, serviceCase);
      this.onChange?.({ entity: 'case', entityId: serviceCase.id, version: 1, action: 'created' });
      return serviceCase;
    });
  }

  private load(data: InMemoryCrmData): void {
    for (const a of data.accounts ?? []) this.accounts.set(a.id, structuredClone(a));
    for (const u of data.users ?? []) this.users.set(u.id, structuredClone(u));
    for (const c of data.contacts ?? []) this.contacts.set(c.id, structuredClone(c));
    for (const o of data.opportunities ?? []) this.opportunities.set(o.id, structuredClone(o));
    for (const a of data.activities ?? []) this.activities.set(a.id, structuredClone(a));
    for (const c of data.cases ?? []) this.cases.set(c.id, structuredClone(c));
  }

  private assertOwnerExists(ownerId: string | null | undefined): void {
    if (ownerId) this.existing(this.users, ownerId, 'user', 'ownerId');
  }

  private assertErpCustomerNoFree(erpCustomerNo: string | null, selfId: string | null): void {
    if (!erpCustomerNo) return;
    const holder = [...this.accounts.values()].find((a) => a.erpCustomerNo === erpCustomerNo && a.id !== selfId);
    if (holder) throw new AppError(ErrorCode.CONFLICT, `ERP customer ${erpCustomerNo} is already linked to another account`, { field: 'erpCustomerNo', accountId: holder.id });
  }

  /** The row of `id`; NOT_FOUND as the backend words it (naming `field` when the id came in a body). */
  private existing<Row>(rows: Map<string, Row>, id: string, what: string, field?: string): Row {
    const row = rows.get(id);
    if (!row) throw new AppError(ErrorCode.NOT_FOUND, `no ${what} ${id}`, field ? { field, id } : { id });
    return row;
  }

  private put<Row extends { id: string; version: number; updatedAt: string }>(rows: Map<string, Row>, row: NoInfer<Row>): Row {
    const stored = { ...row, version: row.version + 1, updatedAt: this.now() };
    rows.set(row.id, stored);
    return stored;
  }

  private changed<Row extends { id: string; version: number }>(entity: CrmChange['entity'], row: Row, action: CrmChange['action']): Row {
    this.onChange?.({ entity, entityId: row.id, version: row.version, action });
    return row;
  }
}

function sameFields(before: object, after: object): boolean {
  return JSON.stringify(before) === JSON.stringify(after);
}
