import type { CrmAccount } from '../../../connectors/crm/crm.connector';
import type { ErpCustomer } from '../../../connectors/erp/erp.connector';
import { customerId, tryParseCustomerId } from '../../../platform/customer-id';
import { AppError, ErrorCode, isAppError } from '../../../platform/errors';
import type { Logger } from '../../../platform/logger';
import { MAX_PAGE_SIZE, decodeCursor, encodeCursor, pageSize } from '../../../platform/pagination';
import type { CustomerLink, CustomerLinkRepository } from '../links/customer-link.repository';
import type { IntegrationLoaders } from '../loaders';
import type { CustomerModel } from '../models';
import type { IntegrationCrm, IntegrationErp } from '../ports';
import { isUuid } from '../../../platform/input-ids';

/** The fields the CRM owns, as read from the owning system. */
export interface MasterData {
  name: string;
  email: string | null;
  industry: string | null;
  country: string | null;
}

/** One page of customers. */
export interface CustomerPage {
  nodes: CustomerModel[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

/** How many matches a search takes from each system. */
const SEARCH_LIMIT = 100;


/**
 * Reads customers for one request: identity from the kept links, master data from the owning
 * system, everything through the request's loaders so a list costs one query and one backend
 * call per system. A record no link knows yet (created in a backend after the bootstrap, before
 * sync has seen it) still resolves from its system, as PENDING.
 */
export class CustomerReader {
  constructor(
    private readonly deps: {
      loaders: IntegrationLoaders;
      links: CustomerLinkRepository;
      erp: IntegrationErp;
      crm: IntegrationCrm;
      logger: Logger;
    },
  ) {}

  /** The customer with this API id; null when it is malformed or unknown. */
  async byId(id: string): Promise<CustomerModel | null> {
    const parsed = tryParseCustomerId(id);
    if (!parsed) return null;
    const link = await this.deps.loaders.link.load({ kind: 'id', value: id });
    if (link) return toModel(link);
    // Without a link the id is only right if the record it names was never linked to another.
    const found = parsed.origin === 'crm' ? await this.byCrmAccountId(parsed.localId) : await this.byErpCustomerNo(parsed.localId);
    return found?.id === id ? found : null;
  }

  /** The customer of this CRM account; null when neither the links nor the CRM know it. */
  async byCrmAccountId(crmAccountId: string | null | undefined): Promise<CustomerModel | null> {
    if (!crmAccountId || !isUuid(crmAccountId)) return null;
    const accountId = crmAccountId.toLowerCase();
    const link = await this.deps.loaders.link.load({ kind: 'crm', value: accountId });
    if (link) return toModel(link);
    const account = await this.deps.loaders.crmAccount.load(accountId);
    return account ? unlinkedAccount(account) : null;
  }

  /** The customer of this ERP number; null when neither the links nor the ERP know it. */
  async byErpCustomerNo(erpCustomerNo: string | null | undefined): Promise<CustomerModel | null> {
    if (!erpCustomerNo) return null;
    const link = await this.deps.loaders.link.load({ kind: 'erp', value: erpCustomerNo });
    if (link) return toModel(link);
    const customer = await this.deps.loaders.erpCustomer.load(erpCustomerNo);
    return customer ? unlinkedErpCustomer(customer) : null;
  }

  /**
   * Name, email, industry and country from the CRM account when there is one, else from the ERP
   * customer. When the CRM is unreachable a linked customer falls back to the ERP's mirrored copy,
   * so one system being down does not take every customer (a non-null type) out of the answer.
   */
  async masterData(customer: CustomerModel): Promise<MasterData> {
    const { loaders, logger } = this.deps;
    if (customer.crmAccountId) {
      try {
        const account = await loaders.crmAccount.load(customer.crmAccountId.toLowerCase());
        if (account) return pickMasterData(account);
      } catch (error) {
        if (!customer.erpCustomerNo || !isAppError(error) || error.code !== ErrorCode.UPSTREAM_UNAVAILABLE) throw error;
        logger.warn({ customerId: customer.id }, 'CRM unavailable; answering master data from the ERP copy');
      }
    }
    if (customer.erpCustomerNo) {
      const erpCustomer = await loaders.erpCustomer.load(customer.erpCustomerNo);
      if (erpCustomer) return pickMasterData(erpCustomer);
    }
    throw new AppError(ErrorCode.NOT_FOUND, `customer ${customer.id} no longer exists in either system`);
  }

  /** A page of customers ordered by id: all links, or the matches of a search in both systems. */
  async list(args: { first?: number | null; after?: string | null; search?: string | null }): Promise<CustomerPage> {
    const first = pageSize(args.first, 20, MAX_PAGE_SIZE);
    const after = decodeCursor(args.after);
    // The cursor is the last customer's id; anything else was not made by this list.
    if (after !== undefined && !tryParseCustomerId(after)) throw new AppError(ErrorCode.BAD_USER_INPUT, 'after is not a cursor of this list', { field: 'after' });
    const search = args.search?.trim();
    if (!search) {
      const [rows, totalCount] = await Promise.all([this.deps.links.page({ after, limit: first + 1 }), this.deps.links.count()]);
      return toPage(rows.map(toModel), first, totalCount);
    }
    const matches = await this.search(search);
    const rest = after === undefined ? matches : matches.filter((m) => m.id > after);
    return toPage(rest, first, matches.length);
  }

  /** Every customer matching `search` in either system, once each, ordered by id. */
  private async search(search: string): Promise<CustomerModel[]> {
    const { loaders, links, crm, erp } = this.deps;
    const [accounts, erpCustomers] = await Promise.all([
      crm.listAccounts({ search, first: SEARCH_LIMIT }).then((page) => page.items),
      erp.listCustomers({ search, first: SEARCH_LIMIT }).then((page) => page.items),
    ]);
    // The rows are at hand: the master data of these customers costs no second call.
    for (const account of accounts) loaders.crmAccount.prime(account.id.toLowerCase(), account);
    for (const customer of erpCustomers) loaders.erpCustomer.prime(customer.customerNo, customer);
    const found = await links.findByKeys({ crmAccountIds: accounts.map((a) => a.id), erpCustomerNos: erpCustomers.map((c) => c.customerNo) });
    const linkOfAccount = new Map(found.filter((l) => l.crmAccountId).map((l) => [l.crmAccountId!, l]));
    const linkOfErpCustomer = new Map(found.filter((l) => l.erpCustomerNo).map((l) => [l.erpCustomerNo!, l]));
    const byId = new Map<string, CustomerModel>();
    for (const account of accounts) {
      const link = linkOfAccount.get(account.id.toLowerCase());
      const model = link ? toModel(link) : unlinkedAccount(account);
      byId.set(model.id, model);
    }
    for (const customer of erpCustomers) {
      const link = linkOfErpCustomer.get(customer.customerNo);
      const model = link ? toModel(link) : unlinkedErpCustomer(customer);
      byId.set(model.id, model);
    }
    return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

/** The API view of a stored link. */
export function toModel(link: CustomerLink): CustomerModel {
  return { id: link.id, crmAccountId: link.crmAccountId, erpCustomerNo: link.erpCustomerNo, syncState: link.syncState, lastSyncedAt: link.lastSyncedAt };
}

function unlinkedAccount(account: CrmAccount): CustomerModel {
  const id = account.id.toLowerCase();
  return { id: customerId('crm', id), crmAccountId: id, erpCustomerNo: account.erpCustomerNo, syncState: 'PENDING', lastSyncedAt: null };
}

function unlinkedErpCustomer(customer: ErpCustomer): CustomerModel {
  return { id: customerId('erp', customer.customerNo), crmAccountId: null, erpCustomerNo: customer.customerNo, syncState: 'PENDING', lastSyncedAt: null };
}

function pickMasterData(row: MasterData): MasterData {
  return { name: row.name, email: row.email, industry: row.industry, country: row.country };
}

function toPage(ordered: CustomerModel[], first: number, totalCount: number): CustomerPage {
  const nodes = ordered.slice(0, first);
  const last = nodes[nodes.length - 1];
  return { nodes, pageInfo: { hasNextPage: ordered.length > first, endCursor: last ? encodeCursor(last.id) : null }, totalCount };
}
