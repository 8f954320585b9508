import type { Resolvers } from '../generated/resolvers-types';
import { activityResolvers } from './activity.resolvers';
import { customerResolvers } from './customer.resolvers';
import { opportunityResolvers } from './opportunity.resolvers';
import { salesOrderResolvers } from './sales-order.resolvers';
import { serviceCaseResolvers } from './service-case.resolvers';

/** Every resolver of the CRM subgraph, merged per type. */
export const crmResolvers: Resolvers = mergeResolvers([customerResolvers, opportunityResolvers, activityResolvers, serviceCaseResolvers, salesOrderResolvers]);

function mergeResolvers(parts: Resolvers[]): Resolvers {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const part of parts) {
    for (const [typeName, fields] of Object.entries(part)) merged[typeName] = { ...merged[typeName], ...(fields as Record<string, unknown>) };
  }
  return merged as Resolvers;
}
