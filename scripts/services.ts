/**
 * The services of the stack, in start order (backends, subgraphs, integration, gateway), with
 * their entry file and default port. `npm start`, the e2e support and docker-compose.yml all
 * follow this list; test/compose-file.test.ts fails when the compose file disagrees.
 */
export const SERVICES = [
  { name: 'erp-backend', entry: 'backends/erp/main.ts', port: 4101, portEnv: 'PORT' },
  { name: 'crm-backend', entry: 'backends/crm/main.ts', port: 4102, portEnv: 'PORT' },
  { name: 'erp-subgraph', entry: 'subgraphs/erp/main.ts', port: 4001, portEnv: 'PORT' },
  { name: 'crm-subgraph', entry: 'subgraphs/crm/main.ts', port: 4002, portEnv: 'PORT' },
  { name: 'integration', entry: 'subgraphs/integration/main.ts', port: 4003, portEnv: 'PORT' },
  { name: 'gateway', entry: 'gateway/main.ts', port: 4000, portEnv: 'PORT' },
] as const satisfies readonly ServiceDefinition[];

/** One service of the stack: how to run it and where it listens by default. */
export interface ServiceDefinition {
  name: string;
  /** Its main.ts, relative to the repository root. */
  entry: string;
  /** Default port. */
  port: number;
  /** The environment variable its config reads the port from. */
  portEnv: 'PORT';
}

/** A service's name, e.g. "erp-backend". */
export type ServiceName = (typeof SERVICES)[number]['name'];
