import { type MergeAccount, type MergeErpCustomer, mergeCustomer } from './customer-merge';
import type { OwnedFields } from './sync.repository';

const ACCOUNT_ID = '3f1c0000-0000-4000-8000-000000000001';
const agreed: OwnedFields = { name: 'Brandt GmbH', email: 'info@brandt.example', industry: 'Machinery', country: 'DE' };
const account = (fields: Partial<MergeAccount> = {}): MergeAccount => ({ id: ACCOUNT_ID, ...agreed, name: agreed.name!, erpCustomerNo: 'K-1', ...fields });
const erpCustomer = (fields: Partial<MergeErpCustomer> = {}): MergeErpCustomer => ({ customerNo: 'K-1', ...agreed, name: agreed.name!, externalRef: ACCOUNT_ID, ...fields });

describe('the sync rule for a linked pair', () => {
  it.each<[string, MergeAccount, MergeErpCustomer, OwnedFields | null, ReturnType<typeof mergeCustomer>]>([
    ['both agree: nothing to write', account(), erpCustomer(), agreed, { patches: { erp: {}, crm: {} }, conflicts: [] }],
    ['the CRM changed a field: mirrored, no conflict', account({ email: 'office@brandt.example' }), erpCustomer(), agreed, { patches: { erp: { email: 'office@brandt.example' }, crm: {} }, conflicts: [] }],
    ['the CRM renamed and moved: both mirrored in one patch', account({ name: 'Brandt AG', country: 'AT' }), erpCustomer(), agreed, { patches: { erp: { name: 'Brandt AG', country: 'AT' }, crm: {} }, conflicts: [] }],
    [
      'the ERP changed a CRM-owned field: restored and a conflict',
      account(),
      erpCustomer({ email: 'billing@brandt.example' }),
      agreed,
      { patches: { erp: { email: 'info@brandt.example' }, crm: {} }, conflicts: [{ field: 'email', crmValue: 'info@brandt.example', erpValue: 'billing@brandt.example' }] },
    ],
    [
      'both changed the same field: the CRM wins, the ERP value kept as a conflict',
      account({ industry: 'Energy' }),
      erpCustomer({ industry: 'Retail' }),
      agreed,
      { patches: { erp: { industry: 'Energy' }, crm: {} }, conflicts: [{ field: 'industry', crmValue: 'Energy', erpValue: 'Retail' }] },
    ],
    [
      'a pair that never agreed: every difference is a conflict',
      account({ country: 'CH' }),
      erpCustomer(),
      null,
      { patches: { erp: { country: 'CH' }, crm: {} }, conflicts: [{ field: 'country', crmValue: 'CH', erpValue: 'DE' }] },
    ],
    ['a pair that never agreed but agrees now: nothing', account(), erpCustomer(), null, { patches: { erp: {}, crm: {} }, conflicts: [] }],
    ['an empty string and null are the same value', account({ email: '' }), erpCustomer({ email: null }), agreed, { patches: { erp: {}, crm: {} }, conflicts: [] }],
    ['a cleared CRM field is mirrored as null', account({ industry: null }), erpCustomer(), agreed, { patches: { erp: { industry: null }, crm: {} }, conflicts: [] }],
    ['the ERP lacks the reference to the account: written', account(), erpCustomer({ externalRef: null }), agreed, { patches: { erp: { externalRef: ACCOUNT_ID }, crm: {} }, conflicts: [] }],
    ['a reference differing only in case is the same', account(), erpCustomer({ externalRef: ACCOUNT_ID.toUpperCase() }), agreed, { patches: { erp: {}, crm: {} }, conflicts: [] }],
    ['the account lacks the ERP number: written back', account({ erpCustomerNo: null }), erpCustomer(), agreed, { patches: { erp: {}, crm: { erpCustomerNo: 'K-1' } }, conflicts: [] }],
  ])('%s', (_case, crm, erp, lastSeen, expected) => {
    expect(mergeCustomer(crm, erp, lastSeen)).toEqual(expected);
  });

  it('never writes an ERP-owned field', () => {
    const merge = mergeCustomer(account({ name: 'Brandt AG' }), { ...erpCustomer(), creditLimit: '1.00', paymentTerms: 'NET7' } as MergeErpCustomer, agreed);
    expect(Object.keys(merge.patches.erp)).toEqual(['name']);
  });
});
