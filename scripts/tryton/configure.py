"""Configures a Tryton 6.0 database whose modules are activated: the company and its currency,
fiscal years with periods and invoice sequences, a minimal chart of accounts, tax-free product
accounting, a cash payment method, payment terms NETn, document numbers the API recognises
(K- customers, SO- orders, SH- shipments, MO- productions, INV- invoices) and the integration
user the connector logs in as.

Usage: python3 configure.py DATABASE TRYTOND_CONF INTEGRATION_LOGIN INTEGRATION_PASSWORD

Prints "configured" or "already configured" (a database that has a company is left alone).
"""
import datetime
import sys
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from proteus import Model, Wizard, config as proteus_config

PAYMENT_TERM_DAYS = (0, 14, 30, 45, 60, 90)
CURRENCY = ('EUR', 'Euro', '€')


def main(database, conf, login, password):
    config = proteus_config.set_trytond(database, config_file=conf)
    Company = Model.get('company.company')
    if Company.find([]):
        print('already configured')
        return

    Currency = Model.get('currency.currency')
    Rate = Model.get('currency.currency.rate')
    currency = Currency(code=CURRENCY[0], name=CURRENCY[1], symbol=CURRENCY[2], rounding=Decimal('0.01'))
    currency.save()
    Rate(date=datetime.date(2000, 1, 1), rate=Decimal('1'), currency=currency).save()

    Party = Model.get('party.party')
    company_party = Party(name='Supergraph Demo GmbH', code='COMPANY')
    company_party.save()
    company_config = Wizard('company.company.config')
    company_config.execute('company')
    company_config.form.party = company_party
    company_config.form.currency = currency
    company_config.execute('add')
    company, = Company.find([])
    User = Model.get('res.user')
    config._context = User.get_preferences(True, {})

    today = datetime.date.today()
    for year in (today.year - 2, today.year - 1, today.year, today.year + 1):
        create_fiscal_year(company, year)

    accounts = create_chart(company)

    Journal = Model.get('account.journal')
    PaymentMethod = Model.get('account.invoice.payment.method')
    cash_journal, = Journal.find([('type', '=', 'cash')])
    PaymentMethod(name='Bank transfer', journal=cash_journal, credit_account=accounts['cash'], debit_account=accounts['cash']).save()

    PaymentTerm = Model.get('account.invoice.payment_term')
    for days in PAYMENT_TERM_DAYS:
        term = PaymentTerm(name='NET%d' % days)
        line = term.lines.new(type='remainder')
        if days:
            line.relativedeltas.new(days=days)
        term.save()

    Category = Model.get('product.category')
    category = Category(name='Goods', accounting=True)
    category.account_expense = accounts['expense']
    category.account_revenue = accounts['revenue']
    category.save()

    number_documents(company)

    # A customer shipment is invoiced when it is done (the API invoices shipped quantities).
    SaleConfig = Model.get('sale.configuration')
    sale_config = SaleConfig(1)
    sale_config.sale_invoice_method = 'shipment'
    sale_config.sale_shipment_method = 'order'
    sale_config.save()

    admin, = User.find([('login', '=', 'admin')])
    Employee = Model.get('company.employee')
    employee_party = Party(name='Integration', code='EMPLOYEE')
    employee_party.save()
    employee = Employee(party=employee_party, company=company)
    employee.save()
    integration = User(name='Integration', login=login, password=password)
    # Every group of the administrator. With "Account Credit Limit" (needed to set credit limits)
    # Tryton warns about an exceeded limit instead of refusing; the connector takes the warning as the refusal.
    for group in admin.groups:
        integration.groups.append(Model.get('res.group')(group.id))
    integration.companies.append(Model.get('company.company')(company.id))
    integration.company = Model.get('company.company')(company.id)
    integration.employees.append(Employee(employee.id))
    integration.employee = Employee(employee.id)
    integration.save()
    print('configured')


def create_chart(company):
    """The minimal English chart Tryton ships; returns the accounts the setup needs by kind."""
    AccountTemplate = Model.get('account.account.template')
    Account = Model.get('account.account')
    ModelData = Model.get('ir.model.data')
    data, = ModelData.find([('module', '=', 'account'), ('fs_id', '=', 'account_template_root_en')], limit=1)
    wizard = Wizard('account.create_chart')
    wizard.execute('account')
    wizard.form.account_template = AccountTemplate(data.db_id)
    wizard.form.company = company
    wizard.execute('create_account')
    accounts = {}
    for kind in ('receivable', 'payable', 'revenue', 'expense'):
        accounts[kind], = Account.find([('type.%s' % kind, '=', True), ('company', '=', company.id)], limit=1)
    accounts['cash'], = Account.find([('company', '=', company.id), ('name', '=', 'Main Cash')], limit=1)
    wizard.form.account_receivable = accounts['receivable']
    wizard.form.account_payable = accounts['payable']
    wizard.execute('create_properties')
    return accounts


def create_fiscal_year(company, year):
    FiscalYear = Model.get('account.fiscalyear')
    Sequence = Model.get('ir.sequence')
    SequenceStrict = Model.get('ir.sequence.strict')
    SequenceType = Model.get('ir.sequence.type')
    move_type, = SequenceType.find([('name', '=', 'Account Move')], limit=1)
    invoice_type, = SequenceType.find([('name', '=', 'Invoice')], limit=1)
    fiscal_year = FiscalYear(name=str(year), company=company)
    fiscal_year.start_date = datetime.date(year, 1, 1)
    fiscal_year.end_date = datetime.date(year, 12, 31)
    move_sequence = Sequence(name='Moves %d' % year, sequence_type=move_type, company=company)
    move_sequence.save()
    fiscal_year.post_move_sequence = move_sequence
    invoice_sequence = SequenceStrict(name='Invoices %d' % year, sequence_type=invoice_type, company=company, prefix='INV-%d-' % year, padding=5)
    invoice_sequence.save()
    sequences, = fiscal_year.invoice_sequences
    sequences.out_invoice_sequence = invoice_sequence
    sequences.in_invoice_sequence = invoice_sequence
    sequences.out_credit_note_sequence = invoice_sequence
    sequences.in_credit_note_sequence = invoice_sequence
    fiscal_year.save()
    fiscal_year.click('create_period')


def number_documents(company):
    """Prefixes the numbering sequences so numbers read like the reference ERP's."""
    def prefix(model, field, value, start):
        record = Model.get(model)(1)
        sequence = getattr(record, field)
        sequence.prefix = value
        sequence.number_next = start
        sequence.save()

    prefix('party.configuration', 'party_sequence', 'K-', 50001)
    prefix('sale.configuration', 'sale_sequence', 'SO-', 500001)
    prefix('stock.configuration', 'shipment_out_sequence', 'SH-', 500001)
    prefix('production.configuration', 'production_sequence', 'MO-', 500001)


if __name__ == '__main__':
    main(*sys.argv[1:5])
