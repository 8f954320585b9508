import type { Resolvers } from '../generated/resolvers-types';
import { auditLogResolvers } from './audit-log.resolvers';
import { customerResolvers } from './customer.resolvers';
import { dataQualityResolvers } from './data-quality.resolvers';
import { orderFlowResolvers } from './order-flow.resolvers';
import { webhookResolvers } from './webhook.resolvers';

const parts = [customerResolvers, orderFlowResolvers, dataQualityResolvers, auditLogResolvers, webhookResolvers];

/** Every resolver of the integration subgraph, merged type by type from the per-entity files. */
export const resolvers: Resolvers = parts.reduce<Record<string, Record<string, unknown>>>((merged, part) => {
  for (const [type, fields] of Object.entries(part)) merged[type] = { ...merged[type], ...(fields as Record<string, unknown>) };
  return merged;
}, {}) as Resolvers;
