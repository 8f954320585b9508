import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { type Session, can, gql } from '../api';
import { stepName } from '../format';
import { Link } from '../router';
import { Card, Empty, Notice, PageHeader, usePoll } from '../ui';

interface FlowStats {
  status: string;
  startedAt: string;
  steps: { name: string; status: string; startedAt: string | null; finishedAt: string | null }[];
}

const FLOWS = `query ConsoleOverviewFlows($after: String) {
  orderFlows(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { status startedAt steps { name status startedAt finishedAt } } }
}`;
const SYNC = `query ConsoleOverviewSync($after: String) {
  customers(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { sync { state } } }
}`;
/** The charts read at most this many of the newest flows and customers. */
const SAMPLE = 1000;
const OUTCOMES = [
  { key: 'completed', label: 'Completed', color: '#15803d' },
  { key: 'inProgress', label: 'In progress', color: '#2563eb' },
  { key: 'compensated', label: 'Compensated', color: '#a16207' },
  { key: 'failed', label: 'Failed', color: '#b91c1c' },
];
const SYNC_LAG = `query ConsoleOverviewSyncLag { syncLag(hours: 24) { hour source changes p50Seconds p95Seconds maxSeconds } }`;

interface SyncLagHour {
  hour: string;
  source: 'CRM' | 'ERP';
  changes: number;
  p50Seconds: number;
  p95Seconds: number;
  maxSeconds: number;
}

/** The sync lag of the last 24 hours, one row per hour: median and 95th percentile per direction. */
export function syncLagPerHour(rows: SyncLagHour[], now = Date.now()) {
  return Array.from({ length: 24 }, (_, i) => {
    const start = new Date(now - (23 - i) * 3_600_000);
    start.setMinutes(0, 0, 0);
    const of = (source: 'CRM' | 'ERP') => rows.find((r) => r.source === source && Date.parse(r.hour) === start.getTime());
    const crm = of('CRM');
    const erp = of('ERP');
    return {
      hour: `${String(start.getHours()).padStart(2, '0')}:00`,
      crmP50: crm?.p50Seconds ?? null,
      crmP95: crm?.p95Seconds ?? null,
      erpP50: erp?.p50Seconds ?? null,
      erpP95: erp?.p95Seconds ?? null,
      changes: (crm?.changes ?? 0) + (erp?.changes ?? 0),
    };
  });
}

async function pages<T>(query: string, pick: (data: any) => { nodes: T[]; totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null } }) {
  const nodes: T[] = [];
  let after: string | null = null;
  let total = 0;
  do {
    const page = pick((await gql(query, { after })).data);
    nodes.push(...page.nodes);
    total = page.totalCount;
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after && nodes.length < SAMPLE);
  return { nodes, total };
}

function outcomeOf(status: string): string {
  if (status === 'COMPLETED') return 'completed';
  if (status === 'FAILED') return 'failed';
  if (status === 'COMPENSATED') return 'compensated';
  return 'inProgress';
}

/** Flows per hour of the last 24 hours, by outcome. */
export function flowsPerHour(flows: FlowStats[], now = Date.now()) {
  const hours = Array.from({ length: 24 }, (_, i) => {
    const start = new Date(now - (23 - i) * 3_600_000);
    start.setMinutes(0, 0, 0);
    return { hour: `${String(start.getHours()).padStart(2, '0')}:00`, start: start.getTime(), completed: 0, inProgress: 0, compensated: 0, failed: 0 } as Record<string, number | string>;
  });
  for (const flow of flows) {
    const at = Date.parse(flow.startedAt);
    const slot = hours.findLast((h) => at >= (h.start as number));
    if (slot && at > now - 24 * 3_600_000) (slot[outcomeOf(flow.status)] as number)++;
  }
  return hours;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Median and 90th percentile of each step's duration over finished steps, in seconds. */
export function stepLatencies(flows: FlowStats[]) {
  const byStep = new Map<string, number[]>();
  for (const flow of flows)
    for (const step of flow.steps) {
      if (step.status !== 'DONE' || !step.startedAt || !step.finishedAt) continue;
      byStep.set(step.name, [...(byStep.get(step.name) ?? []), (Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000]);
    }
  return [...byStep.entries()].map(([name, values]) => {
    const sorted = values.sort((a, b) => a - b);
    return { step: stepName(name), median: Number(percentile(sorted, 0.5).toFixed(2)), p90: Number(percentile(sorted, 0.9).toFixed(2)) };
  });
}

/** Dashboards of the last day: flows per hour by outcome, step latencies, how recently customers were synced. */
export function OverviewPage({ session }: { session: Session }) {
  const flows = usePoll(() => pages<FlowStats>(FLOWS, (d) => d.orderFlows), 15000, []);
  const sync = usePoll(
    () => (can.seeSync(session.role) ? pages<{ sync: { state: string } }>(SYNC, (d) => d.customers) : Promise.resolve(null)),
    30000,
    [session.role],
  );
  const syncLag = usePoll(() => (can.seeSync(session.role) ? gql<{ syncLag: SyncLagHour[] }>(SYNC_LAG).then((r) => r.data.syncLag) : Promise.resolve(null)), 30000, [session.role]);
  const all = flows.data?.nodes ?? [];
  const count = (s: string) => all.filter((f) => f.status === s).length;
  const now = Date.now();
  const lag = syncLagPerHour(syncLag.data ?? [], now);
  const lagChanges = lag.reduce((sum, h) => sum + h.changes, 0);
  const conflicts = sync.data?.nodes.filter((c) => c.sync.state === 'CONFLICT').length;
  const latencies = stepLatencies(all);

  return (
    <>
      <PageHeader title="Overview" subtitle="Order flows and the customer sync over the last day. Refreshes on its own." />
      {flows.error && <Notice tone="bad">{flows.error}</Notice>}
      <div className="kpis">
        <Link to="/flows" className="kpi kpi-bad">
          <span className="kpi-value">{flows.data ? count('FAILED') : '…'}</span>
          <span className="kpi-label">Failed flows</span>
        </Link>
        <div className="kpi">
          <span className="kpi-value">{flows.data ? count('RUNNING') + count('WAITING') + count('RETRYING') : '…'}</span>
          <span className="kpi-label">In progress</span>
        </div>
        <div className="kpi kpi-good">
          <span className="kpi-value">{flows.data ? count('COMPLETED') : '…'}</span>
          <span className="kpi-label">Completed</span>
        </div>
        {can.seeSync(session.role) && (
          <Link to="/sync" className="kpi kpi-warn">
            <span className="kpi-value">{conflicts ?? '…'}</span>
            <span className="kpi-label">Customers in conflict</span>
          </Link>
        )}
      </div>
      <div className="grid-2">
        <Card title="Flows per hour by outcome" className="span-2">
          {flows.data && all.length === 0 ? (
            <Empty>No order flows yet.</Empty>
          ) : (
            <figure className="chart" aria-label="Flows started per hour over the last 24 hours, by outcome">
              <ResponsiveContainer width="100%" height={260}>
                <BarChart data={flowsPerHour(all, now)} margin={{ top: 8, right: 8, left: -16, bottom: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="hour" tick={{ fontSize: 12 }} interval="preserveStartEnd" />
                  <YAxis allowDecimals={false} tick={{ fontSize: 12 }} />
                  <Tooltip />
                  <Legend />
                  {OUTCOMES.map((o) => (
                    <Bar key={o.key} dataKey={o.key} name={o.label} stackId="outcome" fill={o.color} />
                  ))}
                </BarChart>
              </ResponsiveContainer>
            </figure>
          )}
        </Card>
        <Card title="Step latencies (seconds)">
          {latencies.length === 0 ? (
            <Empty>No finished steps yet.</Empty>
          ) : (
            <figure className="chart" aria-label="Median and 90th percentile duration of each flow step">
              <ResponsiveContainer width="100%" height={300}>
                <BarChart data={latencies} layout="vertical" margin={{ top: 8, right: 16, left: 8, bottom: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                  <XAxis type="number" tick={{ fontSize: 12 }} />
                  <YAxis type="category" dataKey="step" width={130} tick={{ fontSize: 12 }} />
                  <Tooltip />
                  <Legend />
                  <Bar dataKey="median" name="Median" fill="#4f46e5" />
                  <Bar dataKey="p90" name="90th percentile" fill="#a5b4fc" />
                </BarChart>
              </ResponsiveContainer>
            </figure>
          )}
        </Card>
        {can.seeSync(session.role) && (
          <Card title="Sync lag: from a change in one system to the other, per hour">
            {syncLag.error && <Notice tone="bad">{syncLag.error}</Notice>}
            {syncLag.data && lagChanges === 0 ? (
              <Empty>No customer changes were synced in the last 24 hours.</Empty>
            ) : (
              <figure className="chart" aria-label="Sync lag per hour over the last 24 hours: median and 95th percentile in seconds, CRM to ERP and ERP to CRM">
                <ResponsiveContainer width="100%" height={300}>
                  <BarChart data={lag} margin={{ top: 8, right: 8, left: -16, bottom: 0 }}>
                    <CartesianGrid strokeDasharray="3 3" vertical={false} />
                    <XAxis dataKey="hour" tick={{ fontSize: 12 }} interval={3} />
                    <YAxis tick={{ fontSize: 12 }} unit=" s" />
                    <Tooltip />
                    <Legend />
                    <Bar dataKey="crmP50" name="CRM → ERP median" fill="#0f766e" />
                    <Bar dataKey="crmP95" name="CRM → ERP 95th pct." fill="#5eead4" />
                    <Bar dataKey="erpP50" name="ERP → CRM median" fill="#7c3aed" />
                    <Bar dataKey="erpP95" name="ERP → CRM 95th pct." fill="#c4b5fd" />
                  </BarChart>
                </ResponsiveContainer>
              </figure>
            )}
          </Card>
        )}
      </div>
      {flows.data && flows.data.total > all.length && <p className="hint">Charts read the newest {all.length} of {flows.data.total} flows.</p>}
    </>
  );
}
