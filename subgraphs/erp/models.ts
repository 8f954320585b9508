import type {
  ErpInvoice,
  ErpProduct,
  ErpProductionOrder,
  ErpSalesOrder,
  ErpSalesOrderLine,
  ErpShipment,
  ErpStockLevel,
  ErpWarehouse,
} from '../../connectors/erp/erp.connector';

/**
 * What the ERP subgraph's resolvers receive as parents (codegen `mappers`): the connector's rows,
 * so fields are derived from the ERP's own data at the edge and nowhere else.
 */

/** A customer as this subgraph knows it: its ERP number, or null when it exists only in the CRM. */
export interface CustomerModel {
  erpCustomerNo: string | null;
}

/** A sales order row. */
export type SalesOrderModel = ErpSalesOrder;

/** A sales order line with its order's currency, which prices are quoted in. */
export interface SalesOrderLineModel extends ErpSalesOrderLine {
  currency: string;
}

/** A catalogue row. */
export type ProductModel = ErpProduct;

/** Stock of one product in one warehouse. */
export type StockLevelModel = ErpStockLevel;

/** A warehouse row. */
export type WarehouseModel = ErpWarehouse;

/** A production order row. */
export type ProductionOrderModel = ErpProductionOrder;

/** A shipment row. */
export type ShipmentModel = ErpShipment;

/** An invoice row. */
export type InvoiceModel = ErpInvoice;
