import type { Logger } from '../../platform/logger';
import { CustomerReader } from './customers/customer.reader';
import type { CustomerService } from './customers/customer.service';
import type { CustomerLinkRepository } from './links/customer-link.repository';
import { type IntegrationLoaders, createLoaders } from './loaders';
import type { IntegrationCrm, IntegrationErp } from './ports';

/** Per-request context of the integration subgraph: fresh loaders and the services resolvers call. */
export interface IntegrationContext {
  requestId: string;
  loaders: IntegrationLoaders;
  /** Customer reads through this request's loaders. */
  customers: CustomerReader;
  /** Customer writes spanning both systems. */
  customerWrites: CustomerService;
}

/** What lives for the life of the service and is shared by every request. */
export interface IntegrationServices {
  links: CustomerLinkRepository;
  customerWrites: CustomerService;
  erp: IntegrationErp;
  crm: IntegrationCrm;
  logger: Logger;
}

/** Builds one request's context; loaders are never shared between requests. */
export function createContext(services: IntegrationServices, requestId: string): IntegrationContext {
  const loaders = createLoaders(services);
  return {
    requestId,
    loaders,
    customers: new CustomerReader({ loaders, links: services.links, erp: services.erp, crm: services.crm, logger: services.logger }),
    customerWrites: services.customerWrites,
  };
}
