import { AppError, ErrorCode } from '../../../platform/errors';
import type { Resolvers } from '../generated/resolvers-types';

function arrivesWithReconciliation(field: string): () => never {
  return () => {
    throw new AppError(ErrorCode.NOT_IMPLEMENTED, `${field} arrives with reconciliation`);
  };
}

/** The reconciliation comes in a later issue; until then its fields answer NOT_IMPLEMENTED. */
export const dataQualityResolvers: Resolvers = {
  Query: {
    dataQualityReport: arrivesWithReconciliation('dataQualityReport'),
  },
  Mutation: {
    runReconciliation: arrivesWithReconciliation('runReconciliation'),
  },
};
