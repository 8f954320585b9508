import type { Logger } from '../../platform/logger';
import type { SubgraphPrincipal } from '../../platform/subgraph-principal';
import type { AuditLogRepository } from './audit/audit-log.repository';
import { CustomerReader } from './customers/customer.reader';
import type { CustomerService } from './customers/customer.service';
import type { CustomerLinkRepository } from './links/customer-link.repository';
import { type IntegrationLoaders, createLoaders } from './loaders';
import type { OrderFlowService } from './flows/order-to-cash/order-flow.service';
import type { IntegrationCrm, IntegrationErp } from './ports';
import type { WebhookService } from './partner-webhooks/webhook.service';
import type { ReconciliationService } from './reconciliation/reconciliation.service';
import type { SyncRepository } from './sync/sync.repository';

/** Per-request context of the integration subgraph: fresh loaders and the services resolvers call. */
export interface IntegrationContext {
  requestId: string;
  loaders: IntegrationLoaders;
  /** Customer reads through this request's loaders. */
  customers: CustomerReader;
  /** Customer writes spanning both systems. */
  customerWrites: CustomerService;
  /** Data-quality reports. */
  reconciliation: ReconciliationService;
  /** Order-to-cash flows; null when the service runs without them (customer-only test harness). */
  orderFlows: OrderFlowService | null;
  /** The caller as the gateway forwarded it; a partner sees its own customer only (partner-scope.ts). */
  principal: SubgraphPrincipal | null;
  /** The audit log of mutations (read by admins); null when the service runs without it. */
  auditLog: AuditLogRepository | null;
  /** Partner webhook endpoints and deliveries; null when the service runs without them. */
  webhooks: WebhookService | null;
  /** The sync's own records (its lag per hour); null when the service runs without them. */
  sync: SyncRepository | null;
}

/** What lives for the life of the service and is shared by every request. */
export interface IntegrationServices {
  links: CustomerLinkRepository;
  customerWrites: CustomerService;
  reconciliation: ReconciliationService;
  /** Order-to-cash flows, when started. */
  orderFlows?: OrderFlowService | null;
  erp: IntegrationErp;
  crm: IntegrationCrm;
  logger: Logger;
  auditLog?: AuditLogRepository;
  webhooks?: WebhookService;
  sync?: SyncRepository;
}

/** Builds one request's context; loaders are never shared between requests. */
export function createContext(services: IntegrationServices, requestId: string, principal: SubgraphPrincipal | null = null): IntegrationContext {
  const loaders = createLoaders(services);
  return {
    requestId,
    loaders,
    customers: new CustomerReader({ loaders, links: services.links, erp: services.erp, crm: services.crm, logger: services.logger }),
    customerWrites: services.customerWrites,
    reconciliation: services.reconciliation,
    orderFlows: services.orderFlows ?? null,
    principal,
    auditLog: services.auditLog ?? null,
    webhooks: services.webhooks ?? null,
    sync: services.sync ?? null,
  };
}
