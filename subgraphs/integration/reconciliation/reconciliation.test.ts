import { buildDemoDataset } from '../../../backends/demo-data/demo-dataset';
import type { CrmOpportunityStage } from '../../../connectors/crm/crm.connector';
import type { ErpSalesOrderStatus } from '../../../connectors/erp/erp.connector';
import { Money, formatAmount, sumAmounts } from '../../../platform/money';
import { type IntegrationHarness, startIntegrationHarness } from '../test-support/integration-harness';
import { normaliseName } from './find-issues';

const ISSUES = `issues { kind field crmValue erpValue detail customer { id crmAccountId erpCustomerNo } }`;

interface ApiIssue {
  kind: string;
  field: string | null;
  crmValue: string | null;
  erpValue: string | null;
  detail: string;
  customer: { id: string; crmAccountId: string | null; erpCustomerNo: string | null } | null;
}

const lineTotal = (lines: { quantity: number; unitPrice: string }[]) => formatAmount(sumAmounts(lines.map((l) => new Money(l.unitPrice).times(l.quantity))));

describe('reconciliation', () => {
  let h: IntegrationHarness;

  beforeAll(async () => {
    h = await startIntegrationHarness();
  });
  beforeEach(() => h.reset());
  afterAll(() => h.close());

  /** Both systems holding the demo dataset, as each backend seeds it. */
  const loadDemoData = () => {
    const dataset = buildDemoDataset();
    for (const a of dataset.crm.accounts) h.crm.accounts.set(a.id, { ...a, version: 1, updatedAt: a.createdAt });
    for (const c of dataset.erp.customers) h.erp.customers.set(c.customerNo, { ...c, version: 1, updatedAt: c.createdAt });
    for (const o of dataset.crm.opportunities) {
      h.crm.opportunities.set(o.id, { ...o, stage: o.stage as CrmOpportunityStage, amount: lineTotal(o.lines), version: 1, updatedAt: o.createdAt });
    }
    for (const o of dataset.erp.salesOrders) {
      h.erp.salesOrders.set(o.number, { ...o, id: o.number, status: o.status as ErpSalesOrderStatus, total: lineTotal(o.lines), version: 1, updatedAt: o.createdAt });
    }
    return dataset;
  };

  it('finds every anomaly planted in the demo data, and nothing else', async () => {
    const dataset = loadDemoData();
    await h.subgraph.bootstrap.runOnce();
    const answer = await h.gql<{ runReconciliation: { checkedAt: string; issues: ApiIssue[] } }>(`mutation { runReconciliation { checkedAt ${ISSUES} } }`);
    expect(answer.errors).toBeUndefined();
    const issues = answer.data!.runReconciliation.issues;

    for (const anomaly of dataset.anomalies) {
      const found = issues.filter(
        (i) =>
          i.kind === anomaly.kind &&
          (!anomaly.crmAccountId || i.customer?.crmAccountId === anomaly.crmAccountId) &&
          (!anomaly.erpCustomerNo || anomaly.kind === 'MISSING_IN_ERP' || i.customer?.erpCustomerNo === anomaly.erpCustomerNo) &&
          (!anomaly.field || i.field === anomaly.field),
      );
      expect({ anomaly: anomaly.detail, found: found.length }).toEqual({ anomaly: anomaly.detail, found: 1 });
    }
    const kinds = (list: { kind: string }[]) => list.map((x) => x.kind).sort();
    expect(kinds(issues)).toEqual(kinds(dataset.anomalies));
    for (const kind of ['MISSING_IN_ERP', 'MISSING_IN_CRM', 'FIELD_MISMATCH', 'DUPLICATE_CUSTOMER', 'ORPHAN_RECORD', 'AMOUNT_MISMATCH']) {
      expect(issues.some((i) => i.kind === kind)).toBe(true);
    }

    const mismatch = issues.find((i) => i.kind === 'FIELD_MISMATCH')!;
    const account = h.crm.accounts.get(mismatch.customer!.crmAccountId!)!;
    const erpCustomer = h.erp.customers.get(mismatch.customer!.erpCustomerNo!)!;
    expect(mismatch.crmValue).toBe((account as any)[mismatch.field!]);
    expect(mismatch.erpValue).toBe((erpCustomer as any)[mismatch.field!]);
    const amount = issues.find((i) => i.kind === 'AMOUNT_MISMATCH')!;
    expect(amount.detail).toMatch(/^Opportunity [0-9a-f-]{36} amount \d+\.\d{2} EUR differs from sales order SO-\d+ total \d+\.\d{2} EUR$/);
  });

  it('compares names without case, accents or punctuation', () => {
    expect(normaliseName('Müller-Bau  GmbH')).toBe('muller bau gmbh');
    expect(normaliseName('MULLER BAU GMBH.')).toBe('muller bau gmbh');
  });
});
