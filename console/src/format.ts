/** How the console writes times, durations, money and the flow's step names for people. */

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('en-GB', { day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** "3 min ago", "2 h ago", "5 d ago". */
export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

export function duration(ms: number | null): string {
  if (ms === null || Number.isNaN(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

export function stepDuration(step: { startedAt: string | null; finishedAt: string | null }, now = Date.now()): number | null {
  if (!step.startedAt) return null;
  return (step.finishedAt ? Date.parse(step.finishedAt) : now) - Date.parse(step.startedAt);
}

/** Money as the API sends it (a decimal string): grouped digits, never through a float. */
export function money(value: { amount: string; currency: string } | null | undefined): string {
  if (!value) return '—';
  const [whole, fraction = '00'] = value.amount.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = whole.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${digits}.${fraction.padEnd(2, '0')} ${value.currency}`;
}

const STEP_NAMES: Record<string, string> = {
  'ensure-customer': 'Customer in the ERP',
  'check-credit': 'Credit check',
  'create-sales-order': 'Sales order',
  'reserve-stock': 'Stock reservation',
  'plan-production': 'Production orders',
  'wait-for-production': 'Production',
  'create-shipment': 'Shipment',
  'wait-for-shipment': 'Shipment confirmed',
  'create-invoice': 'Invoice',
  'wait-for-payment': 'Payment',
};

export function stepName(name: string): string {
  return STEP_NAMES[name] ?? name.replace(/-/g, ' ');
}

/** Words for the error codes a flow step can end with, before the API's own message. */
const ERROR_WORDS: Record<string, string> = {
  CREDIT_LIMIT_EXCEEDED: 'The order would take the customer over its credit limit.',
  OUT_OF_STOCK: 'A purchased product is not in stock and cannot be produced.',
  UPSTREAM_UNAVAILABLE: 'A backend system did not answer; the step was retried and gave up.',
  NOT_FOUND: 'A record the step needs does not exist.',
  CONFLICT: 'The record was in a state that does not allow this step.',
};

/** A step's error in words: what it means, then what the system said. */
export function errorInWords(error: string | null): { meaning: string | null; detail: string } | null {
  if (!error) return null;
  const code = Object.keys(ERROR_WORDS).find((c) => error.includes(c)) ?? (/unavailable|ECONNREFUSED|timed out/i.test(error) ? 'UPSTREAM_UNAVAILABLE' : undefined);
  return { meaning: code ? ERROR_WORDS[code] : null, detail: error };
}

export function titleCase(value: string): string {
  return value.charAt(0) + value.slice(1).toLowerCase().replace(/_/g, ' ');
}
