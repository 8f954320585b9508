import type { FastifyInstance } from 'fastify';
import type { Database } from '../../../platform/db';
import { AppError, ErrorCode } from '../../../platform/errors';
import { getProducts, getStockLevels, listProducts, listWarehouses } from '../repositories/product.repository';
import { idList, listParams, textParam, type QueryString } from '../validation';

/** Products, warehouses and stock levels (read-only here; stock moves through orders). */
export function registerCatalogueRoutes(app: FastifyInstance, db: Database): void {
  app.get<{ Querystring: QueryString }>('/products', async (req) => {
    const ids = idList(req.query, 'ids');
    if (ids) {
      const items = await getProducts(db, ids);
      return { items, nextCursor: null, totalCount: items.length };
    }
    return listProducts(db, { ...listParams(req.query), search: textParam(req.query, 'search') });
  });

  app.get<{ Params: { sku: string } }>('/products/:sku', async (req) => {
    const [product] = await getProducts(db, [req.params.sku]);
    if (!product) throw new AppError(ErrorCode.NOT_FOUND, `product ${req.params.sku} does not exist`);
    return product;
  });

  app.get('/warehouses', async () => ({ items: await listWarehouses(db) }));

  app.get<{ Querystring: QueryString }>('/stock-levels', async (req) => {
    const skus = idList(req.query, 'skus');
    if (!skus) throw new AppError(ErrorCode.BAD_USER_INPUT, 'skus is required', { field: 'skus' });
    return { items: await getStockLevels(db, skus) };
  });
}
