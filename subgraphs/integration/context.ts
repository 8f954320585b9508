/** Per-request context of the integration subgraph (filled in by its implementation). */
export interface IntegrationContext {
  requestId: string;
}
