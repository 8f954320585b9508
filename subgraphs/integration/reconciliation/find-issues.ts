import { createHash } from 'node:crypto';
import type { CrmAccount, CrmOpportunity } from '../../../connectors/crm/crm.connector';
import type { ErpCustomer, ErpSalesOrder } from '../../../connectors/erp/erp.connector';
import { customerId } from '../../../platform/customer-id';
import { formatAmount, parseDecimal } from '../../../platform/money';
import type { CustomerLink } from '../links/customer-link.repository';
import { CRM_OWNED_FIELDS, type SyncConflict } from '../sync/sync.repository';
import { ownedFields } from '../sync/customer-sync';

/** The kinds of the contract's DataQualityIssueKind. */
export type IssueKind = 'MISSING_IN_ERP' | 'MISSING_IN_CRM' | 'FIELD_MISMATCH' | 'DUPLICATE_CUSTOMER' | 'ORPHAN_RECORD' | 'AMOUNT_MISMATCH';

/** One finding, with the customer it concerns by its ids (resolved to a Customer when read). */
export interface Issue {
  kind: IssueKind;
  /** The API Customer.id, or null when the finding concerns no known customer. */
  customerId: string | null;
  crmAccountId: string | null;
  erpCustomerNo: string | null;
  field: string | null;
  crmValue: string | null;
  erpValue: string | null;
  detail: string;
}

/** Everything one reconciliation compares, read in full from both systems and the links. */
export interface ReconciliationInput {
  accounts: CrmAccount[];
  erpCustomers: ErpCustomer[];
  links: CustomerLink[];
  opportunities: CrmOpportunity[];
  /** The ERP orders the opportunities name (those that exist). */
  salesOrders: ErpSalesOrder[];
  /** Conflicts the sync recorded and nobody resolved yet. */
  openConflicts: SyncConflict[];
}

/** One customer as the comparison sees it: its link (or a stand-in for an unlinked record) and its records. */
interface CustomerView {
  id: string;
  crmAccountId: string | null;
  erpCustomerNo: string | null;
  account?: CrmAccount;
  erpCustomer?: ErpCustomer;
}

/** A finding's stable id: the same finding in a later report has the same id. */
export function issueId(issue: Issue): string {
  const identity = [issue.kind, issue.customerId, issue.crmAccountId, issue.erpCustomerNo, issue.field, issue.detail].map((part) => part ?? '').join('\u0000');
  return `dq:${createHash('sha256').update(identity).digest('hex').slice(0, 24)}`;
}

/**
 * Compares both systems through the kept links and reports what does not agree: a customer
 * missing on one side, a CRM-owned field that differs between the pair (or a recorded sync
 * conflict on one), possible duplicates (same normalised name and country, or same email; the
 * newer record reported against the older, never merged), opportunities naming an order the ERP
 * does not have, and won opportunities whose amount differs from their order's total (exact
 * decimals). Issues come sorted by kind, then customer, for a stable report.
 */
export function findIssues(input: ReconciliationInput): Issue[] {
  const accountById = new Map(input.accounts.map((a) => [a.id.toLowerCase(), a]));
  const erpByNo = new Map(input.erpCustomers.map((c) => [c.customerNo, c]));
  const customers: CustomerView[] = [];
  const linkedAccounts = new Set<string>();
  const linkedNos = new Set<string>();
  for (const link of input.links) {
    const account = link.crmAccountId ? accountById.get(link.crmAccountId) : undefined;
    const erpCustomer = link.erpCustomerNo ? erpByNo.get(link.erpCustomerNo) : undefined;
    if (link.crmAccountId) linkedAccounts.add(link.crmAccountId);
    if (link.erpCustomerNo) linkedNos.add(link.erpCustomerNo);
    if (!account && !erpCustomer) continue;
    customers.push({ id: link.id, crmAccountId: account ? link.crmAccountId : null, erpCustomerNo: erpCustomer ? link.erpCustomerNo : null, account, erpCustomer });
  }
  // Records created since the last sync pass have no link yet; they are one-sided until the sync pairs them.
  for (const [id, account] of accountById) if (!linkedAccounts.has(id)) customers.push({ id: customerId('crm', id), crmAccountId: id, erpCustomerNo: null, account });
  for (const [no, erpCustomer] of erpByNo) if (!linkedNos.has(no)) customers.push({ id: customerId('erp', no), crmAccountId: null, erpCustomerNo: no, erpCustomer });

  const issues: Issue[] = [];
  const issue = (kind: IssueKind, c: CustomerView | undefined, detail: string, extra: Partial<Issue> = {}) =>
    issues.push({ kind, customerId: c?.id ?? null, crmAccountId: c?.crmAccountId ?? null, erpCustomerNo: c?.erpCustomerNo ?? null, field: null, crmValue: null, erpValue: null, detail, ...extra });

  const openConflicts = new Map<string, SyncConflict[]>();
  for (const conflict of input.openConflicts) openConflicts.set(conflict.linkId, [...(openConflicts.get(conflict.linkId) ?? []), conflict]);

  for (const c of customers) {
    if (c.account && !c.erpCustomer) issue('MISSING_IN_ERP', c, `CRM account "${c.account.name}" has no ERP customer`);
    if (c.erpCustomer && !c.account) issue('MISSING_IN_CRM', c, `ERP customer ${c.erpCustomer.customerNo} "${c.erpCustomer.name}" has no CRM account`);
    if (c.account && c.erpCustomer) {
      const crm = ownedFields(c.account);
      const erp = ownedFields(c.erpCustomer);
      for (const field of CRM_OWNED_FIELDS) {
        if (crm[field] === erp[field]) continue;
        issue('FIELD_MISMATCH', c, `${field} differs: CRM "${crm[field] ?? ''}", ERP "${erp[field] ?? ''}"`, { field, crmValue: crm[field], erpValue: erp[field] });
      }
    }
    for (const conflict of openConflicts.get(c.id) ?? []) {
      issue(
        'FIELD_MISMATCH',
        c,
        `conflict: ${conflict.field} was changed in the ERP to "${conflict.erpValue ?? ''}"; the CRM owns it, so its value "${conflict.crmValue ?? ''}" was restored (${conflict.detectedAt}); resolved by the next change of the CRM account`,
        { field: conflict.field, crmValue: conflict.crmValue, erpValue: conflict.erpValue },
      );
    }
  }

  findDuplicates(customers, issue);
  findOrderIssues(input, customers, issue);
  const order: IssueKind[] = ['MISSING_IN_ERP', 'MISSING_IN_CRM', 'FIELD_MISMATCH', 'DUPLICATE_CUSTOMER', 'ORPHAN_RECORD', 'AMOUNT_MISMATCH'];
  return issues.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || (a.customerId ?? '').localeCompare(b.customerId ?? ''));
}

/** Lower case, accents and punctuation dropped, spaces collapsed: "Müller-Bau  GmbH" → "muller bau gmbh". */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

type Report = (kind: IssueKind, c: CustomerView | undefined, detail: string, extra?: Partial<Issue>) => void;

function findDuplicates(customers: CustomerView[], issue: Report): void {
  const byNameCountry = new Map<string, CustomerView[]>();
  const byEmail = new Map<string, CustomerView[]>();
  const add = (map: Map<string, CustomerView[]>, key: string, c: CustomerView) => map.set(key, [...(map.get(key) ?? []), c]);
  for (const c of customers) {
    // The CRM's values where there is an account (it owns them), else the ERP's.
    const record = c.account ?? c.erpCustomer!;
    add(byNameCountry, `${normaliseName(record.name)}|${(record.country ?? '').toUpperCase()}`, c);
    if (record.email) add(byEmail, record.email.trim().toLowerCase(), c);
  }
  const reported = new Set<string>();
  const report = (groups: Map<string, CustomerView[]>, what: string) => {
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      const [oldest, ...newer] = [...group].sort((a, b) => createdAt(a).localeCompare(createdAt(b)) || a.id.localeCompare(b.id));
      for (const c of newer) {
        if (reported.has(`${c.id}|${what}`)) continue;
        reported.add(`${c.id}|${what}`);
        issue('DUPLICATE_CUSTOMER', c, `${describe(c)} has the same ${what} as ${describe(oldest)} (possible duplicate; not merged)`);
      }
    }
  };
  report(byNameCountry, 'name and country');
  report(byEmail, 'email');
}

function createdAt(c: CustomerView): string {
  return (c.account ?? c.erpCustomer!).createdAt;
}

function describe(c: CustomerView): string {
  const parts = [c.crmAccountId ? `CRM account ${c.crmAccountId}` : null, c.erpCustomerNo ? `ERP customer ${c.erpCustomerNo}` : null].filter(Boolean);
  return `customer ${c.id} (${parts.join(', ')})`;
}

function findOrderIssues(input: ReconciliationInput, customers: CustomerView[], issue: Report): void {
  const byAccount = new Map(customers.filter((c) => c.crmAccountId).map((c) => [c.crmAccountId!, c]));
  const orders = new Map(input.salesOrders.map((o) => [o.id, o]));
  for (const opportunity of input.opportunities) {
    if (!opportunity.erpSalesOrderId) continue;
    const customer = byAccount.get(opportunity.accountId.toLowerCase());
    const order = orders.get(opportunity.erpSalesOrderId);
    if (!order) {
      issue('ORPHAN_RECORD', customer, `Opportunity ${opportunity.id} names sales order ${opportunity.erpSalesOrderId}, which the ERP does not have`);
      continue;
    }
    if (opportunity.stage !== 'CLOSED_WON') continue;
    if (!parseDecimal(opportunity.amount).equals(parseDecimal(order.total)) || opportunity.currency !== order.currency) {
      issue(
        'AMOUNT_MISMATCH',
        customer,
        `Opportunity ${opportunity.id} amount ${formatAmount(parseDecimal(opportunity.amount))} ${opportunity.currency} differs from sales order ${order.number} total ${formatAmount(parseDecimal(order.total))} ${order.currency}`,
      );
    }
  }
}
