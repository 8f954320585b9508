import type { Queryable } from '../../../platform/db';

/** A backend system the sync reads and writes. */
export type SyncSystem = 'erp' | 'crm';

/** The fields the CRM owns and the sync mirrors to the ERP. */
export const CRM_OWNED_FIELDS = ['name', 'email', 'industry', 'country'] as const;

/** One CRM-owned field's name. */
export type CrmOwnedField = (typeof CRM_OWNED_FIELDS)[number];

/** Values of the CRM-owned fields (null for an empty field). */
export type OwnedFields = Record<CrmOwnedField, string | null>;

/** A recorded conflict: a CRM-owned field changed in the ERP, restored to the CRM's value. */
export interface SyncConflict {
  id: number;
  linkId: string;
  field: string;
  crmValue: string | null;
  erpValue: string | null;
  detectedAt: string;
}

/** The sync lag of the changes applied in one hour, from one system to the other. */
export interface SyncLagHour {
  hour: string;
  source: SyncSystem;
  changes: number;
  p50Seconds: number;
  p95Seconds: number;
  maxSeconds: number;
}

/** How long the sync lag is kept (the console shows the last day). */
export const SYNC_LAG_KEPT_HOURS = 72;

/** The only code that reads or writes the sync's own tables (versions, snapshots, cursors, conflicts, lag). */
export class SyncRepository {
  constructor(private readonly db: Queryable) {}

  /** The newest applied version of each given record, by record id. */
  async versions(system: SyncSystem, recordIds: readonly string[]): Promise<Map<string, number>> {
    if (recordIds.length === 0) return new Map();
    const { rows } = await this.db.query<{ record_id: string; version: number }>(
      'SELECT record_id, version FROM sync_record_versions WHERE system = $1 AND record_id = ANY($2::text[])',
      [system, [...new Set(recordIds)]],
    );
    return new Map(rows.map((r) => [r.record_id, Number(r.version)]));
  }

  /** Remembers `version` as applied unless a newer one is remembered already. */
  async markSeen(system: SyncSystem, recordId: string, version: number): Promise<void> {
    await this.db.query(
      `INSERT INTO sync_record_versions (system, record_id, version) VALUES ($1, $2, $3)
       ON CONFLICT (system, record_id) DO UPDATE SET version = GREATEST(sync_record_versions.version, EXCLUDED.version), updated_at = now()`,
      [system, recordId, version],
    );
  }

  /** The last agreed CRM-owned fields of a link, or null when the pair was never synced. */
  async snapshot(linkId: string): Promise<OwnedFields | null> {
    const { rows } = await this.db.query<{ fields: OwnedFields | string }>('SELECT fields FROM sync_snapshots WHERE link_id = $1', [linkId]);
    if (!rows[0]) return null;
    return typeof rows[0].fields === 'string' ? (JSON.parse(rows[0].fields) as OwnedFields) : rows[0].fields;
  }

  /** Stores what both systems now agree on. */
  async saveSnapshot(linkId: string, fields: OwnedFields): Promise<void> {
    await this.db.query(
      `INSERT INTO sync_snapshots (link_id, fields) VALUES ($1, $2::jsonb)
       ON CONFLICT (link_id) DO UPDATE SET fields = EXCLUDED.fields, updated_at = now()`,
      [linkId, JSON.stringify(fields)],
    );
  }

  /** The poll position of a system, or null before the first poll. */
  async cursor(system: SyncSystem): Promise<string | null> {
    const { rows } = await this.db.query<{ updated_since: Date | string }>('SELECT updated_since FROM sync_cursors WHERE system = $1', [system]);
    return rows[0] ? new Date(rows[0].updated_since).toISOString() : null;
  }

  /** Moves a system's poll position (never backwards). */
  async saveCursor(system: SyncSystem, updatedSince: string): Promise<void> {
    await this.db.query(
      `INSERT INTO sync_cursors (system, updated_since) VALUES ($1, $2::timestamptz)
       ON CONFLICT (system) DO UPDATE SET updated_since = GREATEST(sync_cursors.updated_since, EXCLUDED.updated_since)`,
      [system, updatedSince],
    );
  }

  /** Records a conflict on one field. */
  async recordConflict(linkId: string, field: string, crmValue: string | null, erpValue: string | null): Promise<void> {
    await this.db.query('INSERT INTO sync_conflicts (link_id, field, crm_value, erp_value) VALUES ($1, $2, $3, $4)', [linkId, field, crmValue, erpValue]);
  }

  /** Marks every open conflict of a link resolved; returns how many were open. */
  async resolveConflicts(linkId: string): Promise<number> {
    const result = await this.db.query('UPDATE sync_conflicts SET resolved_at = now() WHERE link_id = $1 AND resolved_at IS NULL RETURNING id', [linkId]);
    return result.rows.length;
  }

  /** Records one applied change's lag; rows older than SYNC_LAG_KEPT_HOURS go when `prune` says so. */
  async recordLag(source: SyncSystem, seconds: number, prune: boolean): Promise<void> {
    await this.db.query('INSERT INTO sync_propagation (source, seconds) VALUES ($1, $2)', [source, seconds]);
    if (prune) await this.db.query(`DELETE FROM sync_propagation WHERE applied_at < now() - make_interval(hours => $1)`, [SYNC_LAG_KEPT_HOURS]);
  }

  /** The lag per hour and source over the last `hours`, oldest hour first. */
  async lagByHour(hours: number): Promise<SyncLagHour[]> {
    const { rows } = await this.db.query<{ hour: Date | string; source: SyncSystem; changes: string; p50: number; p95: number; max: number }>(
      `SELECT date_trunc('hour', applied_at) AS hour, source, count(*)::text AS changes,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY seconds) AS p95,
              max(seconds) AS max
         FROM sync_propagation WHERE applied_at >= now() - make_interval(hours => $1)
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [hours],
    );
    return rows.map((r) => ({
      hour: new Date(r.hour).toISOString(),
      source: r.source,
      changes: Number(r.changes),
      p50Seconds: round3(Number(r.p50)),
      p95Seconds: round3(Number(r.p95)),
      maxSeconds: round3(Number(r.max)),
    }));
  }

  /** Conflicts not resolved yet, oldest first. */
  async openConflicts(): Promise<SyncConflict[]> {
    const { rows } = await this.db.query<{ id: number; link_id: string; field: string; crm_value: string | null; erp_value: string | null; detected_at: Date | string }>(
      'SELECT id, link_id, field, crm_value, erp_value, detected_at FROM sync_conflicts WHERE resolved_at IS NULL ORDER BY id',
    );
    return rows.map((r) => ({ id: Number(r.id), linkId: r.link_id, field: r.field, crmValue: r.crm_value, erpValue: r.erp_value, detectedAt: new Date(r.detected_at).toISOString() }));
  }

  /**
   * Removes a one-sided link being merged into its partner's (its snapshot and conflicts go with
   * it). Here rather than in the link repository because only the sync merges links.
   */
  async dropLink(linkId: string): Promise<void> {
    await this.db.query('DELETE FROM sync_snapshots WHERE link_id = $1', [linkId]);
    await this.db.query('DELETE FROM sync_conflicts WHERE link_id = $1', [linkId]);
    await this.db.query('DELETE FROM customer_links WHERE id = $1', [linkId]);
  }

  /** Remembers many applied versions at once (the baseline), keeping any newer one. */
  async markManySeen(system: SyncSystem, records: readonly { id: string; version: number }[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.query(
      `INSERT INTO sync_record_versions (system, record_id, version)
       SELECT $1, * FROM unnest($2::text[], $3::int[])
       ON CONFLICT (system, record_id) DO UPDATE SET version = GREATEST(sync_record_versions.version, EXCLUDED.version), updated_at = now()`,
      [system, records.map((r) => r.id), records.map((r) => r.version)],
    );
  }

  /** Stores many agreed snapshots at once (the baseline); an existing one is kept. */
  async saveManySnapshots(entries: readonly { linkId: string; fields: OwnedFields }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.query(
      `INSERT INTO sync_snapshots (link_id, fields) SELECT * FROM unnest($1::text[], $2::jsonb[]) ON CONFLICT (link_id) DO NOTHING`,
      [entries.map((e) => e.linkId), entries.map((e) => JSON.stringify(e.fields))],
    );
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
