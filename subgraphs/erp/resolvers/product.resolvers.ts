import type { ProductModel } from '../models';
import type { Resolvers } from '../generated/resolvers-types';
import type { ErpLoaders } from '../loaders';
import { AppError, ErrorCode } from '../../../platform/errors';
import { fetchConnection, money } from '../../../platform/graphql-values';

/** What can be sold from a stock level: on hand minus reserved, never negative. */
function availableOf(level: { onHand: number; reserved: number }): number {
  return Math.max(0, level.onHand - level.reserved);
}

/** The catalogue row a line or production order refers to; a SKU missing from the catalogue is NOT_FOUND. */
export async function productOf(sku: string, loaders: ErpLoaders): Promise<ProductModel> {
  const product = await loaders.productsBySku.load(sku);
  if (!product) throw new AppError(ErrorCode.NOT_FOUND, `product ${sku} is not in the catalogue`);
  return product;
}

/** The catalogue, stock per warehouse and what is available to sell. */
export const productResolvers: Resolvers = {
  Query: {
    product: (_parent, { sku }, { loaders }) => loaders.productsBySku.load(sku),
    products: async (_parent, { first, after }, { erp, loaders }) => {
      const connection = await fetchConnection({ first, after }, 50, (page) => erp.listProducts(page));
      for (const product of connection.nodes) loaders.productsBySku.prime(product.sku, product);
      return connection;
    },
  },
  Product: {
    __resolveReference: (reference, { loaders }) => loaders.productsBySku.load(reference.sku),
    unitPrice: (product) => money(product.unitPrice, product.currency),
    stock: (product, _args, { loaders }) => loaders.stockBySku.load(product.sku),
    available: async (product, _args, { loaders }) => (await loaders.stockBySku.load(product.sku)).reduce((sum, level) => sum + availableOf(level), 0),
  },
  StockLevel: {
    warehouse: async (level, _args, { loaders }) => (await loaders.warehouses()).get(level.warehouseCode) ?? { code: level.warehouseCode, name: level.warehouseCode },
    available: (level) => availableOf(level),
  },
};
