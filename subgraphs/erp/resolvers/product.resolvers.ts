import { type FieldNode, type FragmentDefinitionNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';
import type { ProductModel, StockLevelModel, WarehouseModel } from '../models';
import type { Resolvers } from '../generated/resolvers-types';
import type { ErpLoaders } from '../loaders';
import { AppError, ErrorCode } from '../../../platform/errors';
import { fetchConnection, money } from '../../../platform/graphql-values';

/** What can be sold from a stock level: on hand minus reserved, never negative. */
function availableOf(level: { onHand: number; reserved: number }): number {
  return Math.max(0, level.onHand - level.reserved);
}

/** Units sellable over all warehouses. */
function totalAvailable(levels: StockLevelModel[]): number {
  return levels.reduce((sum, level) => sum + availableOf(level), 0);
}

/** A stock level's warehouse; a code the ERP no longer lists answers with its code as name. */
function warehouseOf(byCode: Map<string, WarehouseModel>, level: StockLevelModel): WarehouseModel {
  return byCode.get(level.warehouseCode) ?? { code: level.warehouseCode, name: level.warehouseCode };
}

/**
 * The catalogue row a line or production order refers to; a SKU missing from the catalogue is
 * NOT_FOUND. The stock (and warehouses) `needs` names are read before the product is answered,
 * so its fields answer synchronously instead of with a promise each.
 */
export async function productOf(sku: string, loaders: ErpLoaders, needs: StockNeeds = NO_STOCK): Promise<ProductModel> {
  const product = await loaders.productsBySku.load(sku);
  if (!product) throw new AppError(ErrorCode.NOT_FOUND, `product ${sku} is not in the catalogue`);
  if (needs.stock) {
    // A failed read is not this field's error: the field that needs the data reads it again and fails at its own path, as without the read ahead.
    const levels = await loaders.stockBySku.load(product.sku).catch(() => undefined);
    if (levels?.length && needs.warehouses) await loaders.warehouses().catch(() => undefined);
  }
  return product;
}

/**
 * The product of a Product field (`info`): synchronously when it and the stock its selection
 * needs are read already (e.g. by `lines`), otherwise the read started ahead (`readAhead`), with
 * its outcome, or a new read.
 */
export function productField(sku: string, loaders: ErpLoaders, info: GraphQLResolveInfo, readAhead?: Promise<ProductModel>): ProductModel | Promise<ProductModel> {
  const needs = stockNeedsOf(info.fieldNodes, info.fragments);
  const product = loaders.read.products.get(sku);
  if (product && (!needs.stock || stockRead(product.sku, loaders, needs))) return product;
  return readAhead ?? productOf(sku, loaders, needs);
}

function stockRead(sku: string, loaders: ErpLoaders, needs: StockNeeds): boolean {
  const levels = loaders.read.stock.get(sku);
  return levels !== undefined && (!needs.warehouses || levels.length === 0 || loaders.read.warehouses !== undefined);
}

/** Which data below a Product field its selection needs. */
export interface StockNeeds {
  stock: boolean;
  warehouses: boolean;
}

const NO_STOCK: StockNeeds = { stock: false, warehouses: false };

// The executor (graphql-jit here, graphql-js alike) hands every item of a list the same fieldNodes array, so a selection is read once per query and position.
const stockNeedsByField = new WeakMap<readonly FieldNode[], StockNeeds>();

/** What the selection of a Product field (`nodes`) needs read besides the product. */
export function stockNeedsOf(nodes: readonly FieldNode[], fragments: Record<string, FragmentDefinitionNode>): StockNeeds {
  let needs = stockNeedsByField.get(nodes);
  if (!needs) {
    const fields = subfields(nodes, fragments);
    const stock = fields.get('stock');
    needs = { stock: stock !== undefined || fields.has('available'), warehouses: stock !== undefined && subfields(stock, fragments).has('warehouse') };
    stockNeedsByField.set(nodes, needs);
  }
  return needs;
}

/**
 * The fields selected directly below `nodes`, by name, through fragments. Directives are not
 * evaluated: a skipped field counts as selected, which costs at most a read the answer does not use.
 */
export function subfields(nodes: readonly FieldNode[], fragments: Record<string, FragmentDefinitionNode>): Map<string, FieldNode[]> {
  const found = new Map<string, FieldNode[]>();
  const visit = (selectionSet: SelectionSetNode | undefined) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.kind === Kind.FIELD) found.set(selection.name.value, [...(found.get(selection.name.value) ?? []), selection]);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else visit(fragments[selection.name.value]?.selectionSet);
    }
  };
  for (const node of nodes) visit(node.selectionSet);
  return found;
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
    stock: (product, _args, { loaders }) => loaders.read.stock.get(product.sku) ?? loaders.stockBySku.load(product.sku),
    available: (product, _args, { loaders }) => {
      const levels = loaders.read.stock.get(product.sku);
      return levels ? totalAvailable(levels) : loaders.stockBySku.load(product.sku).then(totalAvailable);
    },
  },
  StockLevel: {
    warehouse: (level, _args, { loaders }) => {
      const byCode = loaders.read.warehouses;
      return byCode ? warehouseOf(byCode, level) : loaders.warehouses().then((read) => warehouseOf(read, level));
    },
    available: (level) => availableOf(level),
  },
};
