import type { CrmAccount, CrmAccountInput } from '../../../connectors/crm/crm.connector';
import type { ErpCustomer, ErpCustomerInput } from '../../../connectors/erp/erp.connector';
import { customerId } from '../../../platform/customer-id';
import type { Queryable } from '../../../platform/db';
import { ErrorCode, isAppError } from '../../../platform/errors';
import type { Logger } from '../../../platform/logger';
import type { IntegrationCrm, IntegrationErp } from '../ports';
import { SyncRepository } from '../sync/sync.repository';
import { type CustomerLink, CustomerLinkRepository } from './customer-link.repository';
import { retryWhileUnavailable } from '../../../platform/retry';

/** What the linker needs. */
export interface CustomerLinkerDeps {
  db: Queryable;
  erp: Pick<IntegrationErp, 'getCustomers' | 'findCustomersByExternalRefs' | 'createCustomer' | 'updateCustomer'>;
  crm: Pick<IntegrationCrm, 'getAccounts' | 'findAccountsByErpCustomerNos' | 'createAccount' | 'updateAccount'>;
  logger: Logger;
  /** Attempts per backend write while the backend is unavailable; default 2. */
  attempts?: number;
  /** Wait before the first retry, doubled per attempt; default 200 ms. */
  retryMs?: number;
  now?: () => Date;
}

/** A linked pair as the linker left it. */
export interface LinkedPair {
  account: CrmAccount;
  erpCustomer: ErpCustomer;
  /** The link of the pair; null when one record is already linked to a third (the reconciliation reports it). */
  link: CustomerLink | null;
  /** True when this call created the record on the other side (false: found, or created by a concurrent writer). */
  created: boolean;
}

/**
 * The idempotency keys of linking, one per account (or ERP customer) and direction, whoever links:
 * createCustomer, the sync and an order flow that meet the same new account send the same key, so
 * the backend creates one record, however they interleave and on whichever replica they run.
 */
export const LINK_KEYS = {
  /** Creating the ERP customer of a CRM account. */
  erpCustomer: (accountId: string) => `integration:link:erp-customer:${accountId}`,
  /** ERP-owned fields the new customer starts with, when a concurrent writer created it without them. */
  erpFields: (accountId: string) => `integration:link:erp-fields:${accountId}`,
  /** Writing the ERP number back to the CRM account. */
  erpNoToCrm: (accountId: string, customerNo: string) => `integration:link:erp-no:${accountId}:${customerNo}`,
  /** Creating the CRM account of an ERP customer. */
  crmAccount: (customerNo: string) => `integration:link:crm-account:${customerNo}`,
  /** Writing the CRM account id back to the ERP customer. */
  crmIdToErp: (customerNo: string, accountId: string) => `integration:link:crm-id:${customerNo}:${accountId}`,
};

/**
 * The one way a record of one system gets its partner in the other: a CRM account its ERP
 * customer (referring to the account, the number written back to it) and an ERP customer its CRM
 * account (the account id written back to it), the link kept. Every creation carries the key of
 * its account and direction (LINK_KEYS); a writer that finds the key used with another body (a
 * concurrent writer won) takes the record the winner created. A failure marks the link ERROR with
 * the reason and is thrown on.
 */
export class CustomerLinker {
  private readonly links: CustomerLinkRepository;
  private readonly sync: SyncRepository;

  constructor(private readonly deps: CustomerLinkerDeps) {
    this.links = new CustomerLinkRepository(deps.db);
    this.sync = new SyncRepository(deps.db);
  }

  /**
   * Gives a CRM account its ERP customer: the one its link or the systems' references name, else
   * a new one (CRM-owned fields from the account, `erpFields` such as a credit limit on top).
   * `lookFirst: false` skips the look-up for an account created a moment ago by the caller.
   */
  async giveErpCustomer(account: CrmAccount, options: { erpFields?: Partial<ErpCustomerInput>; lookFirst?: boolean } = {}): Promise<LinkedPair> {
    const accountId = account.id.toLowerCase();
    const linkId = await this.ensureLink({ crmAccountId: accountId });
    let erpCustomer: ErpCustomer;
    let created = false;
    try {
      const found = options.lookFirst === false ? undefined : await this.findErpCustomer(account, linkId);
      if (found) erpCustomer = found;
      else ({ erpCustomer, created } = await this.createErpCustomer(account, options.erpFields ?? {}));
    } catch (error) {
      await this.markError(linkId, `ERP customer not created: ${messageOf(error)}`);
      throw error;
    }
    const link = await this.pair('crm', accountId, erpCustomer.customerNo);
    try {
      if (account.erpCustomerNo !== erpCustomer.customerNo) {
        const customerNo = erpCustomer.customerNo;
        account = await this.retrying(() => this.deps.crm.updateAccount(account.id, { erpCustomerNo: customerNo }, LINK_KEYS.erpNoToCrm(accountId, customerNo)));
      }
    } catch (error) {
      // Both records exist and the ERP refers to the account, so the link stands; only the CRM's copy is missing.
      await this.markError(link?.id ?? linkId, `ERP number not written to the CRM: ${messageOf(error)}`);
      throw error;
    }
    return { account, erpCustomer, link: link && (await this.markInSync(link.id)), created };
  }

  /** Gives an ERP customer its CRM account (CRM-owned fields taken from the ERP) and writes the account id back to it. */
  async giveCrmAccount(erpCustomer: ErpCustomer): Promise<LinkedPair> {
    const no = erpCustomer.customerNo;
    const linkId = await this.ensureLink({ erpCustomerNo: no });
    let account: CrmAccount;
    let created = false;
    try {
      ({ account, created } = await this.createCrmAccount(erpCustomer));
    } catch (error) {
      await this.markError(linkId, `CRM account not created: ${messageOf(error)}`);
      throw error;
    }
    const accountId = account.id.toLowerCase();
    const link = await this.pair('erp', accountId, no);
    try {
      if (erpCustomer.externalRef?.toLowerCase() !== accountId) {
        erpCustomer = await this.retrying(() => this.deps.erp.updateCustomer(no, { externalRef: accountId }, LINK_KEYS.crmIdToErp(no, accountId)));
      }
    } catch (error) {
      await this.markError(link?.id ?? linkId, `CRM account id not written to the ERP: ${messageOf(error)}`);
      throw error;
    }
    return { account, erpCustomer, link: link && (await this.markInSync(link.id)), created };
  }

  /**
   * The one link of a pair the systems' references name, made or completed if needed. Two
   * one-sided links of the same pair are merged into the CRM's (the CRM owns the master data; the
   * ERP-side id was never written anywhere but the link). Null, with the links left alone, when one
   * record is already paired with a third: the reconciliation reports that for a person to settle.
   */
  async pair(origin: 'crm' | 'erp', accountId: string, customerNo: string, insertedAlready = false): Promise<CustomerLink | null> {
    const found = await this.links.findByKeys({ crmAccountIds: [accountId], erpCustomerNos: [customerNo] });
    const byCrm = found.find((l) => l.crmAccountId === accountId);
    const byErp = found.find((l) => l.erpCustomerNo === customerNo);
    if (byCrm && byErp && byCrm.id === byErp.id) return byCrm;
    if (byCrm?.erpCustomerNo || byErp?.crmAccountId) {
      this.deps.logger.warn({ accountId, customerNo }, 'references name a record already linked to another; not paired');
      return null;
    }
    if (byCrm && byErp) await this.sync.dropLink(byErp.id);
    if (byCrm) return this.links.update(byCrm.id, { erpCustomerNo: customerNo });
    if (byErp) return this.links.update(byErp.id, { crmAccountId: accountId });
    if (insertedAlready) return null;
    const id = origin === 'crm' ? customerId('crm', accountId) : customerId('erp', customerNo);
    await this.links.insert({ id, crmAccountId: accountId, erpCustomerNo: customerNo, syncState: 'PENDING', lastSyncedAt: null });
    // A concurrent writer may have linked one of the keys first: the pair is whatever is stored now.
    return this.pair(origin, accountId, customerNo, true);
  }

  /** The ERP customer the account's link or the systems' references name, if it exists. */
  private async findErpCustomer(account: CrmAccount, linkId: string): Promise<ErpCustomer | undefined> {
    const [link] = await this.links.findByIds([linkId]);
    const customerNo = link?.erpCustomerNo ?? account.erpCustomerNo;
    if (customerNo) {
      const [known] = await this.deps.erp.getCustomers([customerNo]);
      if (known) return known;
    }
    return (await this.deps.erp.findCustomersByExternalRefs([account.id.toLowerCase()]))[0];
  }

  private async createErpCustomer(account: CrmAccount, erpFields: Partial<ErpCustomerInput>): Promise<{ erpCustomer: ErpCustomer; created: boolean }> {
    const accountId = account.id.toLowerCase();
    const input: ErpCustomerInput = { ...ownedFieldsOf(account), externalRef: accountId, ...erpFields };
    try {
      return { erpCustomer: await this.retrying(() => this.deps.erp.createCustomer(input, LINK_KEYS.erpCustomer(accountId))), created: true };
    } catch (error) {
      if (!keyUsedForAnotherBody(error)) throw error;
    }
    // Another writer created the account's ERP customer with other fields (e.g. before a rename, or without a credit limit).
    const [existing] = await this.deps.erp.findCustomersByExternalRefs([accountId]);
    if (!existing) throw new Error(`the ERP customer of account ${accountId} was created by another writer but cannot be found by its reference`);
    const missing = Object.fromEntries(Object.entries(erpFields).filter(([field, value]) => value != null && existing[field as keyof ErpCustomer] !== value));
    if (Object.keys(missing).length === 0) return { erpCustomer: existing, created: false };
    return { erpCustomer: await this.retrying(() => this.deps.erp.updateCustomer(existing.customerNo, missing, LINK_KEYS.erpFields(accountId))), created: false };
  }

  private async createCrmAccount(erpCustomer: ErpCustomer): Promise<{ account: CrmAccount; created: boolean }> {
    const no = erpCustomer.customerNo;
    const input: CrmAccountInput = { ...ownedFieldsOf(erpCustomer), erpCustomerNo: no };
    try {
      return { account: await this.retrying(() => this.deps.crm.createAccount(input, LINK_KEYS.crmAccount(no))), created: true };
    } catch (error) {
      if (!keyUsedForAnotherBody(error)) throw error;
    }
    const [existing] = await this.deps.crm.findAccountsByErpCustomerNos([no]);
    if (!existing) throw new Error(`the CRM account of ERP customer ${no} was created by another writer but cannot be found by its reference`);
    return { account: existing, created: false };
  }

  /** The id of the link holding this key, inserted PENDING when there is none, so a failure below has a link to show it on. */
  private async ensureLink(key: { crmAccountId: string } | { erpCustomerNo: string }): Promise<string> {
    const keys = 'crmAccountId' in key ? { crmAccountIds: [key.crmAccountId], erpCustomerNos: [] } : { crmAccountIds: [], erpCustomerNos: [key.erpCustomerNo] };
    const [existing] = await this.links.findByKeys(keys);
    if (existing) return existing.id;
    const id = 'crmAccountId' in key ? customerId('crm', key.crmAccountId) : customerId('erp', key.erpCustomerNo);
    const crmAccountId = 'crmAccountId' in key ? key.crmAccountId : null;
    const erpCustomerNo = 'erpCustomerNo' in key ? key.erpCustomerNo : null;
    await this.links.insert({ id, crmAccountId, erpCustomerNo, syncState: 'PENDING', lastSyncedAt: null });
    const [stored] = await this.links.findByKeys(keys);
    return stored?.id ?? id;
  }

  private async markError(linkId: string, syncError: string): Promise<void> {
    await this.links.update(linkId, { syncState: 'ERROR', syncError });
  }

  private async markInSync(linkId: string): Promise<CustomerLink | null> {
    return this.links.update(linkId, { syncState: 'IN_SYNC', syncError: null, lastSyncedAt: (this.deps.now?.() ?? new Date()).toISOString() });
  }

  /** Runs one backend write, retrying with the same key while the backend is unavailable. */
  private retrying<T>(write: () => Promise<T>): Promise<T> {
    return retryWhileUnavailable(write, {
      attempts: this.deps.attempts ?? 2,
      retryMs: this.deps.retryMs ?? 200,
      onRetry: (attempt) => this.deps.logger.info({ attempt }, 'backend unavailable; retrying the link write with the same idempotency key'),
    });
  }

}

/** The CRM-owned fields of a record, empty strings read as null so both systems compare alike. */
export function ownedFieldsOf(record: { name: string; email: string | null; industry: string | null; country: string | null }): {
  name: string;
  email: string | null;
  industry: string | null;
  country: string | null;
} {
  const clean = (value: string | null) => (value === null || value === '' ? null : value);
  return { name: record.name, email: clean(record.email), industry: clean(record.industry), country: clean(record.country) };
}

/** The backend refused an idempotency key it had seen with another request body. */
function keyUsedForAnotherBody(error: unknown): boolean {
  return isAppError(error) && error.code === ErrorCode.CONFLICT;
}

function messageOf(error: unknown): string {
  return isAppError(error) ? `${error.code}: ${error.message}` : ((error as Error)?.message ?? String(error));
}
