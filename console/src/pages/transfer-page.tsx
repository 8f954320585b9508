import { useState } from 'react';
import { type ImportEvent, type Session, can, download, uploadImport } from '../api';
import { Card, Notice, PageHeader, ProgressBar } from '../ui';

type Summary = Extract<ImportEvent, { type: 'summary' }>;
type Progress = Extract<ImportEvent, { type: 'progress' }>;

const IMPORT_KINDS = ['customers', 'products', 'opportunities'];
const EXPORT_KINDS = ['customers', 'orders', 'invoices'];

function ImportCard() {
  const [kind, setKind] = useState('customers');
  const [file, setFile] = useState<File | null>(null);
  const [upload, setUpload] = useState<{ sent: number; total: number } | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const start = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!file) return;
    const format = file.name.toLowerCase().endsWith('.ndjson') || file.name.toLowerCase().endsWith('.jsonl') ? 'ndjson' : 'csv';
    setBusy(true);
    setUpload({ sent: 0, total: file.size });
    setProgress(null);
    setSummary(null);
    setError(null);
    try {
      await uploadImport(kind, format, file, (e) => {
        if (e.type === 'upload') setUpload({ sent: e.sent, total: e.total });
        if (e.type === 'progress') setProgress(e);
        if (e.type === 'summary') setSummary(e);
        if (e.type === 'failed') setError(e.message);
      });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title="Import">
      <p className="hint">
        A CSV file with a header row, or NDJSON (one JSON object per line). Each row is created or updated by its key, so importing the same file again never duplicates anything. Columns are
        listed in the README under “Bulk import and export”.
      </p>
      <form className="filters" onSubmit={start}>
        <div className="field">
          <label htmlFor="import-kind">What</label>
          <select id="import-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            {IMPORT_KINDS.map((k) => (
              <option key={k} value={k}>
                {k.charAt(0).toUpperCase() + k.slice(1)}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-wide">
          <label htmlFor="import-file">File (.csv or .ndjson)</label>
          <input id="import-file" type="file" accept=".csv,.ndjson,.jsonl,text/csv,application/x-ndjson" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </div>
        <div className="field field-button">
          <button type="submit" className="button button-primary" disabled={!file || busy}>
            {busy ? 'Importing…' : 'Import'}
          </button>
        </div>
      </form>
      {upload && <ProgressBar label="Upload" value={upload.sent} max={upload.total} />}
      {(progress || summary) && (
        <ProgressBar label={summary ? 'Rows written' : `Rows written: ${progress!.read} read`} value={summary ? 1 : progress!.bytesRead} max={summary ? 1 : progress!.totalBytes} />
      )}
      {progress && !summary && (
        <p className="muted" aria-live="polite">
          {progress.read} read · {progress.created} created · {progress.updated} updated · {progress.rejected} rejected
        </p>
      )}
      {error && <Notice tone="bad">{error}</Notice>}
      {summary && (
        <div className="summary" aria-live="polite">
          <Notice tone={summary.rejected > 0 ? 'warn' : 'good'}>
            Imported {summary.kind}: {summary.read} read, {summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged, <strong>{summary.rejected} rejected</strong> in{' '}
            {summary.seconds.toFixed(1)} s.
          </Notice>
          <dl className="stat-row">
            {(['read', 'created', 'updated', 'unchanged', 'rejected'] as const).map((k) => (
              <div key={k} className="stat">
                <dd className="stat-value">{summary[k]}</dd>
                <dt className="stat-label">{k}</dt>
              </div>
            ))}
          </dl>
          {summary.rejectsUrl && (
            <button type="button" className="button" onClick={() => download(summary.rejectsUrl!, `${summary.kind}.rejects.${file?.name.endsWith('.ndjson') ? 'ndjson' : 'csv'}`).catch((e: Error) => setError(e.message))}>
              Download the rejected rows
            </button>
          )}
        </div>
      )}
    </Card>
  );
}

function ExportCard() {
  const [kind, setKind] = useState('orders');
  const [format, setFormat] = useState('csv');
  const [since, setSince] = useState('');
  const [bytes, setBytes] = useState<number | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const start = async (event: React.FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    setBytes(0);
    try {
      const query = since && kind !== 'customers' ? `?since=${encodeURIComponent(since)}` : '';
      const total = await download(`/export/${kind}.${format}${query}`, `${kind}.${format}`, setBytes);
      setDone(`${kind}.${format} downloaded (${(total / 1024).toFixed(1)} KB).`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Export">
      <p className="hint">CRM and ERP columns side by side, as your role may see them.</p>
      <form className="filters" onSubmit={start}>
        <div className="field">
          <label htmlFor="export-kind">What</label>
          <select id="export-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
            {EXPORT_KINDS.map((k) => (
              <option key={k} value={k}>
                {k.charAt(0).toUpperCase() + k.slice(1)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="export-format">Format</label>
          <select id="export-format" value={format} onChange={(e) => setFormat(e.target.value)}>
            <option value="csv">CSV</option>
            <option value="ndjson">NDJSON</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="export-since">Since (orders, invoices)</label>
          <input id="export-since" type="date" value={since} disabled={kind === 'customers'} onChange={(e) => setSince(e.target.value)} />
        </div>
        <div className="field field-button">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Exporting…' : 'Export and download'}
          </button>
        </div>
      </form>
      {busy && bytes !== null && (
        <p className="muted" aria-live="polite">
          {(bytes / 1024).toFixed(1)} KB received…
        </p>
      )}
      {done && <Notice tone="good">{done}</Notice>}
      {error && <Notice tone="bad">{error}</Notice>}
    </Card>
  );
}

/** Bulk import with progress and a rejects file; exports as downloads. */
export function TransferPage({ session }: { session: Session }) {
  return (
    <>
      <PageHeader title="Import & export" subtitle="Onboard customers, products and opportunities from a file; take joined data out for reporting." />
      {can.importFiles(session.role) && <ImportCard />}
      <ExportCard />
    </>
  );
}
