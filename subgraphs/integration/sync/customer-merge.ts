import type { CrmAccount, CrmAccountInput } from '../../../connectors/crm/crm.connector';
import type { ErpCustomer, ErpCustomerInput } from '../../../connectors/erp/erp.connector';
import { CRM_OWNED_FIELDS, type CrmOwnedField, type OwnedFields } from './sync.repository';

/** A CRM-owned field the ERP changed: the CRM's value wins, the ERP's is kept as a conflict. */
export interface FieldConflict {
  field: CrmOwnedField;
  crmValue: string | null;
  erpValue: string | null;
}

/** What bringing a linked pair in step takes: the writes to each system, and the conflicts to record. */
export interface CustomerMerge {
  patches: {
    /** CRM-owned fields the ERP lacks, and the reference to the account; empty: nothing to write. */
    erp: Partial<ErpCustomerInput>;
    /** The ERP number, when the account does not hold it yet; empty: nothing to write. */
    crm: Partial<CrmAccountInput>;
  };
  conflicts: FieldConflict[];
}

/** The pair as the merge reads it: the fields both systems hold and the references they keep of each other. */
export type MergeAccount = Pick<CrmAccount, 'id' | 'name' | 'email' | 'industry' | 'country' | 'erpCustomerNo'>;
export type MergeErpCustomer = Pick<ErpCustomer, 'customerNo' | 'name' | 'email' | 'industry' | 'country' | 'externalRef'>;

/**
 * The sync's rule for a linked pair, a three-way merge against the last agreed values
 * (`lastSeen`): the CRM owns name, email, industry and country, so where the two differ the CRM's
 * value is written to the ERP. When the ERP still holds the last agreed value the CRM changed it,
 * a normal mirror; otherwise the ERP changed a field it does not own, which is also a conflict (so
 * is every difference of a pair that never agreed, `lastSeen` null: it is never overwritten
 * without a trace). Each system also keeps the other's id. Pure: no reads, no writes.
 */
export function mergeCustomer(crm: MergeAccount, erp: MergeErpCustomer, lastSeen: OwnedFields | null): CustomerMerge {
  const accountId = crm.id.toLowerCase();
  const crmValues = ownedFields(crm);
  const erpValues = ownedFields(erp);
  const erpPatch: Partial<ErpCustomerInput> = {};
  const conflicts: FieldConflict[] = [];
  for (const field of CRM_OWNED_FIELDS) {
    if (crmValues[field] === erpValues[field]) continue;
    if (field === 'name') erpPatch.name = crm.name;
    else erpPatch[field] = crmValues[field];
    if (!lastSeen || erpValues[field] !== lastSeen[field]) conflicts.push({ field, crmValue: crmValues[field], erpValue: erpValues[field] });
  }
  if (erp.externalRef?.toLowerCase() !== accountId) erpPatch.externalRef = accountId;
  const crmPatch: Partial<CrmAccountInput> = crm.erpCustomerNo === erp.customerNo ? {} : { erpCustomerNo: erp.customerNo };
  return { patches: { erp: erpPatch, crm: crmPatch }, conflicts };
}

/** The CRM-owned fields of a record, empty strings read as null so both systems compare alike. */
export function ownedFields(record: { name: string; email: string | null; industry: string | null; country: string | null }): OwnedFields {
  const clean = (value: string | null) => (value === null || value === '' ? null : value);
  return { name: clean(record.name), email: clean(record.email), industry: clean(record.industry), country: clean(record.country) };
}
