import { SyncRepository } from '../sync/sync.repository';
import { randomUUID } from 'node:crypto';
import type { CrmAccount } from '../../../connectors/crm/crm.connector';
import type { ErpCustomer, ErpCustomerInput } from '../../../connectors/erp/erp.connector';
import { customerId } from '../../../platform/customer-id';
import type { Queryable } from '../../../platform/db';
import { AppError, ErrorCode, isAppError } from '../../../platform/errors';
import { claimIdempotencyKey, requestHash } from '../../../platform/idempotency';
import type { Logger } from '../../../platform/logger';
import type { CreateCustomerInput, UpdateCustomerInput } from '../generated/resolvers-types';
import { CustomerLinkRepository, type CustomerLink, type LinkSyncState } from '../links/customer-link.repository';
import type { CustomerModel } from '../models';
import type { IntegrationCrm, IntegrationErp } from '../ports';
import type { CustomerLinker } from '../links/customer-linker';
import type { OwnWriteGate } from '../sync/own-write-gate';
import { validateCustomerChanges, validateNewCustomer } from './customer-input';
import { toModel } from './customer.reader';
import { retryWhileUnavailable } from '../../../platform/retry';

/** What a customer write produced: the customer and the fresh rows, so reads after it cost no call. */
export interface CustomerWriteResult {
  customer: CustomerModel;
  account?: CrmAccount;
  erpCustomer?: ErpCustomer;
}

/** What the customer writes need. */
export interface CustomerServiceDeps {
  db: Queryable;
  erp: IntegrationErp;
  crm: IntegrationCrm;
  logger: Logger;
  /** Makes the id of one mutation call, from which every step's idempotency key is derived. */
  newOperationId?: () => string;
  /** Attempts per backend step when the backend is unavailable; default 2. */
  stepAttempts?: number;
  /** Wait before the first retry of a step, doubled per attempt; default 200 ms. */
  stepRetryMs?: number;
  now?: () => Date;
  /** Held shut while a write runs, so the sync waits for the finished pair instead of echoing half of it. */
  ownWrites?: OwnWriteGate;
  /** Gives a new account its ERP customer, the same way the sync and order flows do. */
  linker: CustomerLinker;
}

/**
 * Customer writes that span both systems. Each field goes to the system that owns it first (the
 * CRM owns name, email, industry and country; the ERP credit limit and payment terms) and is then
 * mirrored to the other. Every backend write carries an idempotency key derived from the
 * operation and the step, so retrying a step never creates a second account or customer; linking
 * a new account to its ERP customer is the linker's, keyed by the account like the sync's and a flow's.
 */
export class CustomerService {
  private readonly links: CustomerLinkRepository;

  constructor(private readonly deps: CustomerServiceDeps) {
    this.links = new CustomerLinkRepository(deps.db);
  }

  /**
   * Creates the CRM account, then (through the linker) the ERP customer referring to it, then
   * writes the ERP number back to the account, and keeps the link. Input is validated before
   * anything is written.
   *
   * When the ERP step fails after the account exists, the customer is returned anyway with
   * `sync.state` ERROR and `inErp` false rather than failing the mutation: the customer does
   * exist (in the CRM, which owns it), a client retry would only create a second account, and
   * the link records what is missing for the sync to complete.
   */
  create(input: CreateCustomerInput, clientKey?: string): Promise<CustomerWriteResult> {
    return this.asOwnWrite(() => this.createNow(input, clientKey));
  }

  private async createNow(input: CreateCustomerInput, clientKey: string | undefined): Promise<CustomerWriteResult> {
    const fields = validateNewCustomer(input);
    const key = await this.keys('create-customer', clientKey, fields);
    const account = await this.step('createAccount', () => this.deps.crm.createAccount(fields.crm, key('crm-account')));
    const accountId = account.id.toLowerCase();
    const id = customerId('crm', accountId);
    // The link exists from the moment the account does, so a crash below leaves a PENDING link, not an orphan.
    await this.links.insert({ id, crmAccountId: accountId, erpCustomerNo: null, syncState: 'PENDING', lastSyncedAt: null });
    try {
      // The account is new: no ERP customer can refer to it unless a concurrent writer links it too, which the linker's key settles.
      const linked = await this.deps.linker.giveErpCustomer(account, { erpFields: fields.erp, lookFirst: false });
      return { customer: await this.current(id), account: linked.account, erpCustomer: linked.erpCustomer };
    } catch (error) {
      // The linker recorded on the link what is missing (sync state ERROR with the reason).
      this.deps.logger.warn({ err: error, customerId: id }, 'customer kept in the CRM without its ERP link; sync state ERROR');
      return { customer: await this.current(id), account };
    }
  }

  /**
   * Applies changes to an existing customer: CRM-owned fields to the CRM account first, then
   * mirrored to the ERP customer together with the ERP-owned fields. A customer that exists only
   * in the ERP takes every field there (its only record). A failed mirror leaves the customer in
   * sync state ERROR and still answers; a failed write of an ERP-owned field fails the mutation,
   * since what the caller asked for did not happen.
   */
  update(customer: CustomerModel | null, input: UpdateCustomerInput, clientKey?: string): Promise<CustomerWriteResult> {
    return this.asOwnWrite(() => this.updateNow(customer, input, clientKey));
  }

  private async updateNow(customer: CustomerModel | null, input: UpdateCustomerInput, clientKey: string | undefined): Promise<CustomerWriteResult> {
    if (!customer) throw new AppError(ErrorCode.NOT_FOUND, 'no customer with this id', { field: 'id' });
    const changes = validateCustomerChanges(input);
    const erpOwned = Object.keys(changes.erp);
    if (erpOwned.length > 0 && !customer.erpCustomerNo) {
      throw new AppError(ErrorCode.CONFLICT, `customer ${customer.id} has no ERP record yet, which ${erpOwned.join(' and ')} belong to`, { field: erpOwned[0] });
    }
    const crmChanged = Object.keys(changes.crm).length > 0;
    if (!crmChanged && erpOwned.length === 0) return { customer };
    // A customer resolved from a backend without a link gets one now, so its state is kept from here on.
    await this.links.insert({ ...customer, syncError: null });

    const key = await this.keys('update-customer', clientKey, { id: customer.id, changes });
    let account: CrmAccount | undefined;
    if (crmChanged && customer.crmAccountId) {
      const accountId = customer.crmAccountId;
      account = await this.step('updateAccount', () => this.deps.crm.updateAccount(accountId, changes.crm, key('crm-account')));
    }
    let erpCustomer: ErpCustomer | undefined;
    let mirrorError: string | null = null;
    const erpPatch: Partial<ErpCustomerInput> = { ...changes.crm, ...changes.erp };
    if (customer.erpCustomerNo && Object.keys(erpPatch).length > 0) {
      const customerNo = customer.erpCustomerNo;
      try {
        erpCustomer = await this.step('updateCustomer', () => this.deps.erp.updateCustomer(customerNo, erpPatch, key('erp-customer')));
      } catch (error) {
        mirrorError = `ERP customer not updated: ${messageOf(error)}`;
        await this.mark(customer.id, { syncState: 'ERROR', syncError: mirrorError });
        if (erpOwned.length > 0) throw error;
        this.deps.logger.warn({ err: error, customerId: customer.id }, 'CRM change not mirrored to the ERP');
      }
    }
    const bothExist = customer.crmAccountId !== null && customer.erpCustomerNo !== null;
    const state: LinkSyncState = mirrorError ? 'ERROR' : bothExist ? 'IN_SYNC' : 'PENDING';
    // The owner of the CRM fields spoke and both records now hold its values: that settles the
    // customer's open conflicts, as it does when the change comes through the sync.
    if (state === 'IN_SYNC' && account) await new SyncRepository(this.deps.db).resolveConflicts(customer.id);
    const updated = await this.mark(customer.id, {
      syncState: state,
      syncError: mirrorError,
      ...(state === 'IN_SYNC' ? { lastSyncedAt: this.now() } : {}),
    });
    return { customer: updated, account, erpCustomer };
  }

  private asOwnWrite<T>(write: () => Promise<T>): Promise<T> {
    return this.deps.ownWrites ? this.deps.ownWrites.run(write) : write();
  }

  /**
   * Idempotency keys of one operation: the same operation and step always give the same key. A
   * client's key (already scoped to the caller) makes the operation itself repeatable: it is
   * claimed for this request first (another request under it is a CONFLICT before anything is
   * written), and every step's key derives from it, so a repeat replays each backend write.
   */
  private async keys(operation: string, clientKey: string | undefined, request: unknown): Promise<(step: string) => string> {
    if (clientKey !== undefined) await claimIdempotencyKey(this.deps.db, clientKey, requestHash('MUTATION', operation, request));
    const operationId = clientKey ?? (this.deps.newOperationId ?? randomUUID)();
    return (step) => `integration:${operation}:${operationId}:${step}`;
  }

  /** Runs one backend write, retrying with the same key while the backend is unavailable. */
  private step<T>(name: string, write: () => Promise<T>): Promise<T> {
    return retryWhileUnavailable(write, {
      attempts: this.deps.stepAttempts ?? 2,
      retryMs: this.deps.stepRetryMs ?? 200,
      onRetry: (attempt) => this.deps.logger.info({ step: name, attempt }, 'backend unavailable; retrying the step with the same idempotency key'),
    });
  }


  private async current(id: string): Promise<CustomerModel> {
    const [link] = await this.links.findByIds([id]);
    if (!link) throw new AppError(ErrorCode.INTERNAL_SERVER_ERROR, `customer link ${id} vanished during a write`);
    return toModel(link);
  }

  private async mark(id: string, patch: Parameters<CustomerLinkRepository['update']>[1]): Promise<CustomerModel> {
    const link: CustomerLink | null = await this.links.update(id, patch);
    if (!link) throw new AppError(ErrorCode.INTERNAL_SERVER_ERROR, `customer link ${id} vanished during a write`);
    return toModel(link);
  }

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
}

function messageOf(error: unknown): string {
  return isAppError(error) ? `${error.code}: ${error.message}` : (error as Error)?.message ?? String(error);
}
