import { type IntegrationHarness, startIntegrationHarness } from '../test-support/integration-harness';

const ISSUES = `issues { kind field crmValue erpValue detail customer { id crmAccountId erpCustomerNo } }`;

interface ApiIssue {
  kind: string;
  field: string | null;
  crmValue: string | null;
  erpValue: string | null;
  detail: string;
  customer: { id: string; crmAccountId: string | null; erpCustomerNo: string | null } | null;
}

describe('data-quality resolvers', () => {
  let h: IntegrationHarness;

  beforeAll(async () => {
    h = await startIntegrationHarness();
  });
  beforeEach(() => h.reset());
  afterAll(() => h.close());

  it('answers the stored report until the next run, running one first when none exists', async () => {
    const account = h.crm.seedAccount({ name: 'Nordlicht Energie AG', country: 'DE' });
    await h.subgraph.bootstrap.runOnce();
    const first = (await h.gql<{ dataQualityReport: { checkedAt: string; issues: ApiIssue[] } }>(`{ dataQualityReport { checkedAt ${ISSUES} } }`)).data!.dataQualityReport;
    expect(first.issues).toEqual([
      { kind: 'MISSING_IN_ERP', field: null, crmValue: null, erpValue: null, detail: 'CRM account "Nordlicht Energie AG" has no ERP customer', customer: { id: `crm:${account.id}`, crmAccountId: account.id, erpCustomerNo: null } },
    ]);

    h.erp.seedCustomer({ name: 'Olsen Logistics AS' });
    const again = (await h.gql<{ dataQualityReport: { checkedAt: string; issues: ApiIssue[] } }>(`{ dataQualityReport { checkedAt ${ISSUES} } }`)).data!.dataQualityReport;
    expect(again).toEqual(first);
    expect(h.faults.crm.callsOf('listAccounts')).toHaveLength(2);

    const fresh = (await h.gql<{ runReconciliation: { checkedAt: string; issues: ApiIssue[] } }>(`mutation { runReconciliation { checkedAt ${ISSUES} } }`)).data!.runReconciliation;
    expect(fresh.checkedAt >= first.checkedAt).toBe(true);
    expect(fresh.issues.map((i) => [i.kind, i.customer?.id])).toEqual([
      ['MISSING_IN_ERP', `crm:${account.id}`],
      ['MISSING_IN_CRM', 'erp:K-10001'],
    ]);
  });

});
