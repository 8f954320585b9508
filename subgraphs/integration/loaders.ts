import DataLoader from 'dataloader';
import type { CrmAccount } from '../../connectors/crm/crm.connector';
import type { ErpCustomer } from '../../connectors/erp/erp.connector';
import { rowByIdLoader } from '../../platform/batch-loaders';
import type { CustomerLink, CustomerLinkRepository } from './links/customer-link.repository';
import type { IntegrationCrm, IntegrationErp } from './ports';

/** A link is looked up by whichever key the caller holds: the API id, the CRM id or the ERP number. */
export interface LinkKey {
  kind: 'id' | 'crm' | 'erp';
  value: string;
}

/** The per-request loaders: one SQL per batch of link lookups, one backend call per batch of reads. */
export interface IntegrationLoaders {
  link: DataLoader<LinkKey, CustomerLink | null, string>;
  crmAccount: DataLoader<string, CrmAccount | null>;
  erpCustomer: DataLoader<string, ErpCustomer | null>;
}

/** Creates fresh loaders; called once per GraphQL request so nothing is cached across requests. */
export function createLoaders(deps: { links: CustomerLinkRepository; erp: IntegrationErp; crm: IntegrationCrm }): IntegrationLoaders {
  const link: DataLoader<LinkKey, CustomerLink | null, string> = new DataLoader(
    async (keys) => {
      const of = (kind: LinkKey['kind']) => keys.filter((k) => k.kind === kind).map((k) => k.value);
      const rows = await deps.links.findByKeys({ ids: of('id'), crmAccountIds: of('crm'), erpCustomerNos: of('erp') });
      const byKey = new Map<string, CustomerLink>();
      for (const row of rows) {
        byKey.set(linkCacheKey({ kind: 'id', value: row.id }), row);
        if (row.crmAccountId) byKey.set(linkCacheKey({ kind: 'crm', value: row.crmAccountId }), row);
        if (row.erpCustomerNo) byKey.set(linkCacheKey({ kind: 'erp', value: row.erpCustomerNo }), row);
      }
      return keys.map((key) => byKey.get(linkCacheKey(key)) ?? null);
    },
    { cacheKeyFn: linkCacheKey },
  );
  return {
    link,
    crmAccount: rowByIdLoader((ids) => deps.crm.getAccounts(ids), (account) => account.id.toLowerCase()),
    erpCustomer: rowByIdLoader((nos) => deps.erp.getCustomers(nos), (customer) => customer.customerNo),
  };
}

// CRM ids are UUIDs, compared case-insensitively; the other keys are exact.
function linkCacheKey(key: LinkKey): string {
  return `${key.kind}:${key.kind === 'crm' ? key.value.toLowerCase() : key.value}`;
}
