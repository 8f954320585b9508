import { randomUUID } from 'node:crypto';
import type { CrmAccount, CrmAccountInput, CrmOpportunity, CrmOpportunityStage } from '../../../connectors/crm/crm.connector';
import type { ErpCustomer, ErpCustomerInput, ErpSalesOrder } from '../../../connectors/erp/erp.connector';
import type { ListParams, Page } from '../../../connectors/page';
import { AppError, ErrorCode } from '../../../platform/errors';
import type { IntegrationCrm, IntegrationErp, ReconciliationCrm, ReconciliationErp } from '../ports';

/** One call a test double received. */
export interface RecordedCall {
  system: string;
  operation: string;
  idempotencyKey?: string;
}

/**
 * What both in-memory systems share, behaving as the reference backends promise: batch reads
 * omit unknown ids, lists page by a cursor, a write with a known idempotency key returns the
 * first result, and a system can be taken down or made to fail a call once.
 */
abstract class InMemorySystem {
  /** Every call, in order. */
  readonly calls: RecordedCall[] = [];
  /** While true every call fails as an unreachable backend does. */
  down = false;
  /** Told of every change a write made, as a backend's webhook would be (tests relay it to the event bus). */
  onChange?: (change: { entity: string; entityId: string; version: number; action: 'created' | 'updated' }) => void;
  private readonly replies = new Map<string, { request: string; result: unknown }>();
  private readonly failures = new Map<string, { times: number; afterApply: boolean }>();

  /** `journal`, when given, also receives every call, so a test can see the order across systems. */
  constructor(
    private readonly system: string,
    private readonly journal?: RecordedCall[],
  ) {}

  /** Makes the next `times` calls of `operation` fail as unavailable; `afterApply` fails after the write took effect (a lost answer). */
  failNext(operation: string, options: { times?: number; afterApply?: boolean } = {}): void {
    this.failures.set(operation, { times: options.times ?? 1, afterApply: options.afterApply ?? false });
  }

  /** Forgets every record, call, stored reply and planned failure. */
  reset(): void {
    this.calls.length = 0;
    this.down = false;
    this.onChange = undefined;
    this.replies.clear();
    this.failures.clear();
    this.clearRecords();
  }

  protected abstract clearRecords(): void;

  /** The calls of one operation. */
  callsOf(operation: string): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  protected async read<T>(operation: string, work: () => T): Promise<T> {
    this.log({ system: this.system, operation });
    this.failIfDue(operation, false);
    return structuredClone(work());
  }

  protected async write<T>(operation: string, idempotencyKey: string | undefined, request: unknown, work: () => T): Promise<T> {
    this.log({ system: this.system, operation, idempotencyKey });
    this.failIfDue(operation, false);
    const fingerprint = JSON.stringify(request);
    const stored = idempotencyKey ? this.replies.get(idempotencyKey) : undefined;
    if (stored && stored.request !== fingerprint) throw new AppError(ErrorCode.CONFLICT, 'idempotency key reused with another request');
    const result = stored ? (stored.result as T) : work();
    if (idempotencyKey && !stored) this.replies.set(idempotencyKey, { request: fingerprint, result: structuredClone(result) });
    this.failIfDue(operation, true);
    return structuredClone(result);
  }

  protected changed<T extends { version: number; id?: string; customerNo?: string }>(entity: string, row: T, action: 'created' | 'updated'): T {
    this.onChange?.({ entity, entityId: row.customerNo ?? row.id!, version: row.version, action });
    return row;
  }

  private log(call: RecordedCall): void {
    this.calls.push(call);
    this.journal?.push(call);
  }

  private failIfDue(operation: string, afterApply: boolean): void {
    if (this.down) throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `${this.system} is unreachable`, { system: this.system });
    const failure = this.failures.get(operation);
    if (!failure || failure.afterApply !== afterApply) return;
    if (--failure.times <= 0) this.failures.delete(operation);
    throw new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `${this.system} ${operation} timed out`, { system: this.system });
  }
}

function pageOf<T>(rows: T[], keyOf: (row: T) => string, params: ListParams): Page<T> {
  const sorted = [...rows].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  const after = params.after;
  const rest = after ? sorted.filter((row) => keyOf(row) > after) : sorted;
  const items = rest.slice(0, Math.min(params.first ?? 50, 500));
  const hasMore = rest.length > items.length;
  return { items, nextCursor: hasMore ? keyOf(items[items.length - 1]) : null, totalCount: rows.length };
}

// Optional input fields left undefined keep the stored value, as in a JSON body that omits them.
function defined<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function matches(name: string, search: string | undefined): boolean {
  return !search || name.toLowerCase().includes(search.toLowerCase());
}

function changedSince(updatedAt: string, params: ListParams): boolean {
  return !params.updatedSince || updatedAt >= params.updatedSince;
}

/** A CRM holding accounts in memory. */
export class InMemoryCrm extends InMemorySystem implements IntegrationCrm, ReconciliationCrm {
  readonly accounts = new Map<string, CrmAccount>();
  /** Opportunities by id; tests put them in place directly. */
  readonly opportunities = new Map<string, CrmOpportunity>();

  constructor(journal?: RecordedCall[]) {
    super('crm', journal);
  }

  protected clearRecords(): void {
    this.accounts.clear();
    this.opportunities.clear();
  }

  /** Puts an account in place without recording a call. */
  seed(fields: Partial<CrmAccount> & { name: string }): CrmAccount {
    const now = new Date().toISOString();
    const account: CrmAccount = { id: randomUUID(), email: null, industry: null, country: null, erpCustomerNo: null, ownerId: null, version: 1, createdAt: now, updatedAt: now, ...defined(fields), name: fields.name };
    this.accounts.set(account.id, account);
    return account;
  }

  getAccounts(ids: readonly string[]): Promise<CrmAccount[]> {
    return this.read('getAccounts', () => ids.flatMap((id) => this.accounts.get(id) ?? []));
  }

  findAccountsByErpCustomerNos(nos: readonly string[]): Promise<CrmAccount[]> {
    return this.read('findAccountsByErpCustomerNos', () => [...this.accounts.values()].filter((a) => a.erpCustomerNo !== null && nos.includes(a.erpCustomerNo)));
  }

  listAccounts(params: ListParams & { search?: string }): Promise<Page<CrmAccount>> {
    return this.read('listAccounts', () => pageOf([...this.accounts.values()].filter((a) => matches(a.name, params.search) && changedSince(a.updatedAt, params)), (a) => a.id, params));
  }

  listOpportunities(params: ListParams & { stage?: CrmOpportunityStage; accountId?: string }): Promise<Page<CrmOpportunity>> {
    const rows = [...this.opportunities.values()].filter((o) => (!params.stage || o.stage === params.stage) && (!params.accountId || o.accountId === params.accountId));
    return this.read('listOpportunities', () => pageOf(rows, (o) => o.id, params));
  }

  createAccount(input: CrmAccountInput, idempotencyKey?: string): Promise<CrmAccount> {
    return this.write('createAccount', idempotencyKey, input, () => this.changed('account', this.seed(input), 'created'));
  }

  updateAccount(id: string, patch: Partial<CrmAccountInput>, idempotencyKey?: string): Promise<CrmAccount> {
    return this.write('updateAccount', idempotencyKey, { id, patch }, () => {
      const account = this.accounts.get(id);
      if (!account) throw new AppError(ErrorCode.NOT_FOUND, `no account ${id}`);
      const updated = { ...account, ...defined(patch), version: account.version + 1, updatedAt: new Date().toISOString() };
      this.accounts.set(id, updated);
      return this.changed('account', updated, 'updated');
    });
  }
}

/** An ERP holding customers in memory, numbering them K-10001, K-10002… */
export class InMemoryErp extends InMemorySystem implements IntegrationErp, ReconciliationErp {
  readonly customers = new Map<string, ErpCustomer>();
  /** Sales orders by id; tests put them in place directly. */
  readonly salesOrders = new Map<string, ErpSalesOrder>();
  private nextNo = 10001;

  constructor(journal?: RecordedCall[]) {
    super('erp', journal);
  }

  protected clearRecords(): void {
    this.customers.clear();
    this.salesOrders.clear();
    this.nextNo = 10001;
  }

  /** Puts a customer in place without recording a call. */
  seed(fields: Partial<ErpCustomer> & { name: string }): ErpCustomer {
    const now = new Date().toISOString();
    const customer: ErpCustomer = {
      customerNo: `K-${this.nextNo++}`,
      email: null,
      industry: null,
      country: null,
      externalRef: null,
      creditLimit: null,
      paymentTerms: null,
      currency: 'EUR',
      version: 1,
      createdAt: now,
      updatedAt: now,
      ...defined(fields),
      name: fields.name,
    };
    this.customers.set(customer.customerNo, customer);
    return customer;
  }

  getCustomers(nos: readonly string[]): Promise<ErpCustomer[]> {
    return this.read('getCustomers', () => nos.flatMap((no) => this.customers.get(no) ?? []));
  }

  findCustomersByExternalRefs(refs: readonly string[]): Promise<ErpCustomer[]> {
    return this.read('findCustomersByExternalRefs', () => [...this.customers.values()].filter((c) => c.externalRef !== null && refs.includes(c.externalRef)));
  }

  listCustomers(params: ListParams & { search?: string }): Promise<Page<ErpCustomer>> {
    return this.read('listCustomers', () => pageOf([...this.customers.values()].filter((c) => matches(c.name, params.search) && changedSince(c.updatedAt, params)), (c) => c.customerNo, params));
  }

  getSalesOrders(ids: readonly string[]): Promise<ErpSalesOrder[]> {
    return this.read('getSalesOrders', () => ids.flatMap((id) => this.salesOrders.get(id) ?? []));
  }

  createCustomer(input: ErpCustomerInput, idempotencyKey?: string): Promise<ErpCustomer> {
    return this.write('createCustomer', idempotencyKey, input, () => this.changed('customer', this.seed(input), 'created'));
  }

  updateCustomer(customerNo: string, patch: Partial<ErpCustomerInput>, idempotencyKey?: string): Promise<ErpCustomer> {
    return this.write('updateCustomer', idempotencyKey, { customerNo, patch }, () => {
      const customer = this.customers.get(customerNo);
      if (!customer) throw new AppError(ErrorCode.NOT_FOUND, `no customer ${customerNo}`);
      const updated = { ...customer, ...defined(patch), version: customer.version + 1, updatedAt: new Date().toISOString() };
      this.customers.set(customerNo, updated);
      return this.changed('customer', updated, 'updated');
    });
  }
}
