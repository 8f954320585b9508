import { type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { follow } from './api';
import { titleCase } from './format';

/** Reads data now and again every `intervalMs` while the page is open (useLive re-reads it sooner on events). */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[]): { data: T | undefined; error: string | null; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const run = async () => {
      try {
        const value = await loadRef.current();
        if (!live) return;
        setData(value);
        setError(null);
      } catch (e) {
        if (live) setError((e as Error).message);
      } finally {
        if (live) {
          setLoading(false);
          if (intervalMs > 0) timer = window.setTimeout(run, intervalMs);
        }
      }
    };
    setLoading(true);
    void run();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick, intervalMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/**
 * Calls `reload` when the subscription reports a change (at most every `throttleMs`), so a page
 * follows the API live; its poll stays as the fallback when the stream is away.
 */
export function useLive(query: string | null, variables: Record<string, unknown>, reload: () => void, deps: unknown[], throttleMs = 500): void {
  const reloadRef = useRef(reload);
  reloadRef.current = reload;
  useEffect(() => {
    if (!query) return undefined;
    let timer: number | undefined;
    const stop = follow(query, variables, () => {
      if (timer === undefined) timer = window.setTimeout(() => {
        timer = undefined;
        reloadRef.current();
      }, throttleMs);
    });
    return () => {
      window.clearTimeout(timer);
      stop();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, ...deps]);
}

const TONES: Record<string, string> = {
  FAILED: 'bad',
  ERROR: 'bad',
  CONFLICT: 'warn',
  COMPENSATING: 'warn',
  RETRYING: 'warn',
  COMPENSATED: 'muted',
  CANCELLED: 'muted',
  SKIPPED: 'muted',
  PENDING: 'muted',
  RUNNING: 'info',
  WAITING: 'info',
  COMPLETED: 'good',
  DONE: 'good',
  IN_SYNC: 'good',
  PAID: 'good',
  STUCK: 'warn',
};

/** A status in a coloured pill with its name in words (colour is never the only signal). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return <span className={`badge badge-${TONES[status] ?? 'muted'}`}>{label ?? titleCase(status)}</span>;
}

export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle && <p className="subtitle">{subtitle}</p>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </header>
  );
}

export function Notice({ tone, children }: { tone: 'bad' | 'good' | 'info' | 'warn'; children: ReactNode }) {
  return (
    <div className={`notice notice-${tone}`} role={tone === 'bad' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function Card({ title, children, actions, className }: { title?: ReactNode; children: ReactNode; actions?: ReactNode; className?: string }) {
  return (
    <section className={`card ${className ?? ''}`} aria-label={typeof title === 'string' ? title : undefined}>
      {(title || actions) && (
        <div className="card-head">
          {title && <h2>{title}</h2>}
          {actions}
        </div>
      )}
      {children}
    </section>
  );
}

/**
 * Asks before an action that changes something: a modal dialog (focus moves into it, Escape
 * closes it) naming what will happen.
 */
export function ConfirmButton({
  label,
  title,
  body,
  confirmLabel,
  onConfirm,
  danger,
  disabled,
}: {
  label: string;
  title: string;
  body: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  danger?: boolean;
  disabled?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      dialog.current?.close();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className={danger ? 'button button-danger' : 'button button-primary'} disabled={disabled} onClick={() => dialog.current?.showModal()}>
        {label}
      </button>
      <dialog ref={dialog} className="dialog" aria-labelledby={`${label}-title`.replace(/\s/g, '-')}>
        <h2 id={`${label}-title`.replace(/\s/g, '-')}>{title}</h2>
        <div className="dialog-body">{body}</div>
        {error && <Notice tone="bad">{error}</Notice>}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => dialog.current?.close()} disabled={busy}>
            Keep as is
          </button>
          <button type="button" className={danger ? 'button button-danger' : 'button button-primary'} onClick={confirm} disabled={busy}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}

export function ProgressBar({ value, max, label }: { value: number; max: number; label: string }) {
  const percent = max > 0 ? Math.min(100, Math.round((value / max) * 100)) : 0;
  return (
    <div className="progress">
      <div className="progress-label">
        <span>{label}</span>
        <span>{percent} %</span>
      </div>
      <div className="progress-track" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
