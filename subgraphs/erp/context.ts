/** Per-request context of the erp subgraph (filled in by its implementation). */
export interface ErpContext {
  requestId: string;
}
