import type { CrmActivity, CrmCase, CrmContact, CrmOpportunity, CrmOpportunityLine } from '../../connectors/crm/crm.connector';

/**
 * What the CRM subgraph's resolvers receive as parents (codegen `mappers`): the connector's rows,
 * so fields are derived from the CRM's own data at the edge and nowhere else.
 */

/** A customer as this subgraph knows it: its CRM account id, or null when it exists only in the ERP. */
export interface CustomerModel {
  crmAccountId: string | null;
}

/** A contact row. */
export type ContactModel = CrmContact;

/** An activity row. */
export type ActivityModel = CrmActivity;

/** A service case row. */
export type ServiceCaseModel = CrmCase;

/** An opportunity row. */
export type OpportunityModel = CrmOpportunity;

/** An opportunity line with its opportunity's currency, which prices are quoted in. */
export interface OpportunityLineModel extends CrmOpportunityLine {
  currency: string;
}

/** An ERP sales order as the CRM sees it: only its id (the order itself is the ERP's). */
export interface SalesOrderModel {
  id: string;
}
