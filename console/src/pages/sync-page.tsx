import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { type Session, can, gql } from '../api';
import { ago, dateTime, titleCase } from '../format';
import { Card, ConfirmButton, Empty, Notice, PageHeader, StatusBadge, usePoll } from '../ui';

interface CustomerSyncRow {
  id: string;
  name: string;
  crmAccountId: string | null;
  erpCustomerNo: string | null;
  sync: { state: string; inCrm: boolean; inErp: boolean; lastSyncedAt: string | null };
}

/** One issue of the data-quality report. */
export interface Issue {
  kind: string;
  field: string | null;
  crmValue: string | null;
  erpValue: string | null;
  detail: string;
  customer: { id: string; name: string } | null;
}

/** The data-quality report as the API answers it. */
export interface Report {
  checkedAt: string;
  issues: Issue[];
}

export const REPORT_FIELDS = `checkedAt issues { kind field crmValue erpValue detail customer { id name } }`;
const CUSTOMERS = `query ConsoleCustomers($after: String) {
  customers(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id name crmAccountId erpCustomerNo sync { state inCrm inErp lastSyncedAt } } }
}`;
/** The list is read page by page up to this many customers: enough for a console, bounded for a large book. */
const MAX_CUSTOMERS = 2000;
const STATES = ['IN_SYNC', 'PENDING', 'CONFLICT', 'ERROR'];
const KIND_WORDS: Record<string, string> = {
  MISSING_IN_ERP: 'Missing in the ERP',
  MISSING_IN_CRM: 'Missing in the CRM',
  FIELD_MISMATCH: 'Fields that differ',
  DUPLICATE_CUSTOMER: 'Possible duplicates',
  ORPHAN_RECORD: 'Orphan references',
  AMOUNT_MISMATCH: 'Amounts that differ',
};
/** Who owns each field and so which value stands (README "Master data in step"). */
const OWNER: Record<string, 'CRM' | 'ERP'> = { name: 'CRM', email: 'CRM', industry: 'CRM', country: 'CRM', creditLimit: 'ERP', paymentTerms: 'ERP' };

async function loadCustomers(): Promise<{ total: number; rows: CustomerSyncRow[] }> {
  const rows: CustomerSyncRow[] = [];
  let after: string | null = null;
  let total = 0;
  do {
    const page: { customers: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: CustomerSyncRow[] } } = (await gql<{ customers: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: CustomerSyncRow[] } }>(CUSTOMERS, { after })).data;
    rows.push(...page.customers.nodes);
    total = page.customers.totalCount;
    after = page.customers.pageInfo.hasNextPage ? page.customers.pageInfo.endCursor : null;
  } while (after && rows.length < MAX_CUSTOMERS);
  return { total, rows };
}

/** When the sync recorded a conflict, from the report's wording "(2026-12-02T…)". */
function detectedAt(issue: Issue): string | null {
  return /\((\d{4}-\d\d-\d\dT[^)]+)\)/.exec(issue.detail)?.[1] ?? null;
}

function ConflictCard({ issue, canResolve, onResolved }: { issue: Issue; canResolve: boolean; onResolved: () => Promise<void> }) {
  const field = issue.field ?? '';
  const owner = OWNER[field] ?? 'CRM';
  const recorded = issue.detail.startsWith('conflict:');
  const when = detectedAt(issue);
  const applyErp = async () => {
    await gql(`mutation ConsoleResolveConflict($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { id } }`, {
      id: issue.customer!.id,
      input: { [field]: issue.erpValue },
    });
    await onResolved();
  };
  return (
    <article className="conflict" aria-label={`${issue.customer?.name ?? 'customer'}: ${field}`}>
      <header className="conflict-head">
        <div>
          <strong>{issue.customer?.name ?? 'Unknown customer'}</strong> <span className="muted mono">{issue.customer?.id}</span>
        </div>
        <StatusBadge status={recorded ? 'CONFLICT' : 'PENDING'} label={recorded ? 'Sync conflict' : 'Differs'} />
      </header>
      <div className="conflict-grid" role="table" aria-label={`Values of ${field}`}>
        <div role="row" className="conflict-row conflict-row-head">
          <span role="columnheader">Field</span>
          <span role="columnheader">CRM value</span>
          <span role="columnheader">ERP value</span>
          <span role="columnheader">Owner</span>
          <span role="columnheader">When</span>
        </div>
        <div role="row" className="conflict-row">
          <span role="cell" data-label="Field" className="mono">
            {field}
          </span>
          <span role="cell" data-label="CRM value" className={owner === 'CRM' ? 'value-wins' : ''}>
            {issue.crmValue ?? <em className="muted">empty</em>}
          </span>
          <span role="cell" data-label="ERP value" className={owner === 'ERP' ? 'value-wins' : ''}>
            {issue.erpValue ?? <em className="muted">empty</em>}
          </span>
          <span role="cell" data-label="Owner">
            {owner}
          </span>
          <span role="cell" data-label="When">
            {when ? dateTime(when) : 'at the last check'}
          </span>
        </div>
      </div>
      <p className="rule">
        <strong>Rule:</strong> the {owner} owns {field}, so its value stands
        {owner === 'CRM' ? ' and is written to the ERP' : ''}.{' '}
        {recorded
          ? 'The CRM value has been restored in the ERP; the conflict stays open until the CRM account changes.'
          : 'These values differed before the sync knew the pair: the next change of the CRM account, or a full resync (npm run sync -- --full), writes the owner’s value across.'}
      </p>
      {canResolve && owner === 'CRM' && issue.customer && (
        <div className="conflict-actions">
          <ConfirmButton
            label={`Use the ERP value for ${field}`}
            title={`Use the ERP value for ${field}?`}
            body={
              <p>
                The CRM account of {issue.customer.name} gets {field} “{issue.erpValue ?? ''}”; the sync then writes it to the ERP and the conflict is resolved.
              </p>
            }
            confirmLabel="Use the ERP value"
            onConfirm={applyErp}
          />
        </div>
      )}
    </article>
  );
}

/** Customers by sync state, conflicts side by side, and the data-quality report with its drill-down. */
export function SyncPage({ session }: { session: Session }) {
  const [stateFilter, setStateFilter] = useState('CONFLICT');
  const [kind, setKind] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [runError, setRunError] = useState<string | null>(null);
  const customers = usePoll(loadCustomers, 15000, []);
  const admin = can.seeDataQuality(session.role);
  const polled = usePoll(() => (admin ? gql<{ dataQualityReport: Report }>(`query ConsoleReport { dataQualityReport { ${REPORT_FIELDS} } }`).then((r) => r.data.dataQualityReport) : Promise.resolve(null)), 15000, [admin]);
  // The report a reconciliation started here returned, until a newer one is polled.
  const [fresh, setFresh] = useState<Report | null>(null);
  const report = { ...polled, data: fresh && (!polled.data || fresh.checkedAt > polled.data.checkedAt) ? fresh : polled.data };

  const reconcile = async () => {
    setRunning(true);
    setRunError(null);
    try {
      setFresh((await gql<{ runReconciliation: Report }>(`mutation ConsoleReconcile { runReconciliation { ${REPORT_FIELDS} } }`)).data.runReconciliation);
      customers.reload();
    } catch (e) {
      setRunError((e as Error).message);
    } finally {
      setRunning(false);
    }
  };

  const counts = Object.fromEntries(STATES.map((s) => [s, customers.data?.rows.filter((c) => c.sync.state === s).length ?? 0]));
  const listed = customers.data?.rows.filter((c) => c.sync.state === stateFilter) ?? [];
  const issues = report.data?.issues ?? [];
  const kinds = Object.keys(KIND_WORDS).map((k) => ({ kind: k, label: KIND_WORDS[k], count: issues.filter((i) => i.kind === k).length }));
  // Conflicts the sync recorded come before fields that differed from the start.
  const conflicts = issues.filter((i) => i.kind === 'FIELD_MISMATCH').sort((a, b) => Number(b.detail.startsWith('conflict:')) - Number(a.detail.startsWith('conflict:')));
  const drill = kind ? issues.filter((i) => i.kind === kind) : [];

  return (
    <>
      <PageHeader
        title="Sync & data quality"
        subtitle="Customers kept in step between the CRM and the ERP, what does not agree, and who wins."
        actions={
          admin && (
            <button type="button" className="button button-primary" onClick={reconcile} disabled={running}>
              {running ? 'Comparing both systems…' : 'Run reconciliation'}
            </button>
          )
        }
      />
      {runError && <Notice tone="bad">{runError}</Notice>}
      <Card title="Customers by sync state">
        {customers.error && <Notice tone="bad">{customers.error}</Notice>}
        <div className="stat-row" role="group" aria-label="Sync states">
          {STATES.map((s) => (
            <button key={s} type="button" className={`stat stat-button ${stateFilter === s ? 'stat-active' : ''}`} aria-pressed={stateFilter === s} onClick={() => setStateFilter(s)}>
              <span className="stat-value">{customers.data ? counts[s] : '…'}</span>
              <span className="stat-label">{titleCase(s)}</span>
            </button>
          ))}
        </div>
        {customers.data && customers.data.rows.length < customers.data.total && (
          <p className="hint">
            Counted over the first {customers.data.rows.length} of {customers.data.total} customers.
          </p>
        )}
        {customers.data && listed.length === 0 && <Empty>No customer is {titleCase(stateFilter).toLowerCase()}.</Empty>}
        {listed.length > 0 && (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">Customers {titleCase(stateFilter)}</caption>
              <thead>
                <tr>
                  <th scope="col">Customer</th>
                  <th scope="col">CRM account</th>
                  <th scope="col">ERP customer</th>
                  <th scope="col">State</th>
                  <th scope="col">Last synced</th>
                </tr>
              </thead>
              <tbody>
                {listed.slice(0, 50).map((c) => (
                  <tr key={c.id}>
                    <td data-label="Customer">{c.name}</td>
                    <td data-label="CRM account" className="mono">
                      {c.crmAccountId ? c.crmAccountId.slice(0, 8) : <span className="muted">missing</span>}
                    </td>
                    <td data-label="ERP customer" className="mono">
                      {c.erpCustomerNo ?? <span className="muted">missing</span>}
                    </td>
                    <td data-label="State">
                      <StatusBadge status={c.sync.state} />
                    </td>
                    <td data-label="Last synced">{ago(c.sync.lastSyncedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      {admin && (
        <>
          <Card title={`Conflicts and differing fields${report.data ? ` (${conflicts.length})` : ''}`}>
            {report.error && <Notice tone="bad">{report.error}</Notice>}
            {report.data && <p className="hint">From the reconciliation of {dateTime(report.data.checkedAt)}. Run it again to see changes since.</p>}
            {report.data && conflicts.length === 0 && <Empty>Both systems agree on every customer field.</Empty>}
            <div className="conflicts">
              {conflicts.slice(0, 20).map((issue, i) => (
                <ConflictCard key={`${issue.customer?.id}-${issue.field}-${i}`} issue={issue} canResolve={can.editCustomers(session.role)} onResolved={reconcile} />
              ))}
            </div>
          </Card>

          <Card title="Data-quality report">
            {report.data && (
              <div className="dq">
                <figure className="dq-chart chart" aria-label="Issues per kind">
                  <ResponsiveContainer width="100%" height={220}>
                    <BarChart data={kinds} layout="vertical" margin={{ left: 8, right: 16 }}>
                      <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                      <XAxis type="number" allowDecimals={false} />
                      <YAxis type="category" dataKey="label" width={150} tick={{ fontSize: 12 }} />
                      <Tooltip />
                      <Bar dataKey="count" name="Issues" fill="#4f46e5" radius={[0, 4, 4, 0]} />
                    </BarChart>
                  </ResponsiveContainer>
                </figure>
                <ul className="kind-list" aria-label="Issues per kind">
                  {kinds.map((k) => (
                    <li key={k.kind}>
                      <button type="button" className={`kind ${kind === k.kind ? 'kind-active' : ''}`} aria-pressed={kind === k.kind} onClick={() => setKind(kind === k.kind ? null : k.kind)}>
                        <span>{k.label}</span>
                        <span className="kind-count">{k.count}</span>
                      </button>
                    </li>
                  ))}
                </ul>
              </div>
            )}
            {kind && (
              <div className="table-wrap">
                <table className="table">
                  <caption className="table-caption">
                    {KIND_WORDS[kind]}: {drill.length}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Customer</th>
                      <th scope="col">What</th>
                    </tr>
                  </thead>
                  <tbody>
                    {drill.slice(0, 100).map((issue, i) => (
                      <tr key={i}>
                        <td data-label="Customer">
                          {issue.customer?.name ?? '—'}
                          <div className="muted mono">{issue.customer?.id}</div>
                        </td>
                        <td data-label="What">{issue.detail}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
        </>
      )}
    </>
  );
}
