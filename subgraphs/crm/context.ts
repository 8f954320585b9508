/** Per-request context of the crm subgraph (filled in by its implementation). */
export interface CrmContext {
  requestId: string;
}
