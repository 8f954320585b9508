/** The database every Tryton test copies: the base plus the reference ERP's test fixtures. */
export const TRYTON_TEST_TEMPLATE_DB = process.env.TRYTON_TEST_TEMPLATE ?? 'tryton_template';
