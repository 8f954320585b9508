/**
 * Word lists the demo data is composed from: company names, people, products, subjects.
 * ASCII only, so e-mail addresses and slugs derived from them stay valid.
 */

/** Family names used for company names ("Hansen Logistics") and for people. */
export const SURNAMES = [
  'Hansen', 'Berger', 'Keller', 'Vogel', 'Novak', 'Lindqvist', 'Moreau', 'Rossi', 'Janssen', 'Dubois',
  'Fischer', 'Weber', 'Schmid', 'Hofmann', 'Bauer', 'Lange', 'Krause', 'Peeters', 'Larsen', 'Nielsen',
  'Eriksson', 'Kowalski', 'Horvat', 'Martens', 'Brandt', 'Ferrari', 'Romano', 'Garcia', 'Lopez', 'Costa',
  'Murphy', 'Walsh', 'Carter', 'Harper', 'Becker', 'Wagner', 'Koch', 'Richter', 'Wolf', 'Schubert',
  'Engel', 'Lorenz', 'Sommer', 'Arnold', 'Frank', 'Huber', 'Kaiser', 'Pohl', 'Roth', 'Svensson',
] as const;

/** First names for contacts and CRM users. */
export const FIRST_NAMES = [
  'Anna', 'Lukas', 'Sofia', 'Jonas', 'Emma', 'Felix', 'Mia', 'Leon', 'Clara', 'Paul',
  'Lena', 'David', 'Sara', 'Tobias', 'Julia', 'Marco', 'Elena', 'Thomas', 'Laura', 'Erik',
  'Nora', 'Jan', 'Ines', 'Pieter', 'Marie', 'Oliver', 'Chiara', 'Mateo', 'Hannah', 'Simon',
] as const;

/** Place-like words that open many company names ("Nordic", "Alpine"). */
export const PLACES = [
  'Nordic', 'Alpine', 'Baltic', 'Rhine', 'Danube', 'Elbe', 'Atlantic', 'Northstar', 'Summit', 'Meridian',
  'Silverline', 'Bluewater', 'Greenfield', 'Ironbridge', 'Oakridge', 'Westfield', 'Eastgate', 'Highland', 'Lakeside', 'Riverside',
  'Sunvalley', 'Crestline', 'Harbor', 'Pinecrest', 'Redwood', 'Stonegate', 'Clearwater', 'Brightpath', 'Evergreen', 'Falcon',
  'Polaris', 'Vertex', 'Apex', 'Horizon', 'Keystone', 'Pioneer', 'Sterling', 'Titan', 'Unity', 'Zenith',
] as const;

/** Middle words of longer company names. */
export const DESCRIPTORS = [
  'Advanced', 'Applied', 'Central', 'Continental', 'Digital', 'Dynamic', 'Global', 'Industrial', 'Integrated', 'International',
  'Modern', 'National', 'Premier', 'Smart', 'Standard', 'Technical', 'United', 'Universal', 'Euro', 'Prime',
] as const;

/** What a company does, and the industry that puts it in. */
export const SECTORS: readonly (readonly [sector: string, industry: string])[] = [
  ['Precision Tools', 'Manufacturing'], ['Machine Works', 'Manufacturing'], ['Metalworks', 'Manufacturing'],
  ['Robotics', 'Manufacturing'], ['Hydraulics', 'Manufacturing'], ['Automotive Parts', 'Automotive'],
  ['Motor Components', 'Automotive'], ['Logistics', 'Logistics'], ['Freight Services', 'Logistics'],
  ['Foods', 'Food & Beverage'], ['Beverages', 'Food & Beverage'], ['Construction', 'Construction'],
  ['Building Systems', 'Construction'], ['Energy', 'Energy'], ['Solar Systems', 'Energy'],
  ['Medical Devices', 'Healthcare'], ['Pharma', 'Healthcare'], ['Software', 'Technology'],
  ['Electronics', 'Technology'], ['Chemicals', 'Chemicals'], ['Plastics', 'Chemicals'],
  ['Retail Group', 'Retail'], ['Trading', 'Wholesale'], ['Packaging', 'Packaging'],
  ['Agritech', 'Agriculture'], ['Textiles', 'Textiles'], ['Furniture', 'Furniture'],
  ['Aerospace', 'Aerospace'], ['Marine Equipment', 'Marine'], ['Rail Systems', 'Transportation'],
];

/** ISO-3166 alpha-2 country, legal forms used there, mail domain suffix, phone prefix, relative weight. */
export const COUNTRIES: readonly { code: string; legalForms: readonly string[]; tld: string; phone: string; weight: number }[] = [
  { code: 'DE', legalForms: ['GmbH', 'AG', 'GmbH & Co. KG'], tld: 'de', phone: '+49', weight: 30 },
  { code: 'AT', legalForms: ['GmbH', 'AG'], tld: 'at', phone: '+43', weight: 8 },
  { code: 'CH', legalForms: ['AG', 'GmbH'], tld: 'ch', phone: '+41', weight: 7 },
  { code: 'NL', legalForms: ['B.V.', 'N.V.'], tld: 'nl', phone: '+31', weight: 8 },
  { code: 'BE', legalForms: ['NV', 'BV'], tld: 'be', phone: '+32', weight: 4 },
  { code: 'FR', legalForms: ['SAS', 'SA'], tld: 'fr', phone: '+33', weight: 8 },
  { code: 'IT', legalForms: ['S.p.A.', 'S.r.l.'], tld: 'it', phone: '+39', weight: 6 },
  { code: 'ES', legalForms: ['S.L.', 'S.A.'], tld: 'es', phone: '+34', weight: 5 },
  { code: 'PL', legalForms: ['Sp. z o.o.'], tld: 'pl', phone: '+48', weight: 5 },
  { code: 'SE', legalForms: ['AB'], tld: 'se', phone: '+46', weight: 4 },
  { code: 'DK', legalForms: ['A/S', 'ApS'], tld: 'dk', phone: '+45', weight: 3 },
  { code: 'GB', legalForms: ['Ltd', 'PLC'], tld: 'co.uk', phone: '+44', weight: 6 },
  { code: 'US', legalForms: ['Inc.', 'LLC'], tld: 'com', phone: '+1', weight: 4 },
  { code: 'CZ', legalForms: ['s.r.o.', 'a.s.'], tld: 'cz', phone: '+420', weight: 3 },
];

/** Mailboxes a company's main address uses. */
export const MAILBOXES = ['info', 'sales', 'office', 'purchasing', 'contact'] as const;

/** Products made in-house; combined with SERIES into names such as "Gear Unit GX-200". */
export const MANUFACTURED_TYPES = [
  'Gear Unit', 'Control Cabinet', 'Conveyor Module', 'Hydraulic Press', 'Pump Assembly', 'Welding Frame',
  'Mixing Station', 'Filter Housing', 'Drive Shaft', 'Packaging Line Module', 'Cooling Unit', 'Valve Block',
] as const;

/** Products bought in and resold. */
export const PURCHASED_TYPES = [
  'Ball Bearing', 'Pressure Sensor', 'Cable Set', 'Servo Motor', 'Seal Kit', 'Relay Module',
  'Hose Assembly', 'Touch Panel', 'Power Supply', 'Safety Switch', 'Coupling', 'Fastener Pack',
] as const;

/** Model series suffixes for product names. */
export const SERIES = ['S-100', 'S-200', 'M-300', 'M-450', 'L-600', 'XL-900', 'Pro', 'Compact'] as const;

/** Job titles of contacts. */
export const TITLES = [
  'Head of Purchasing', 'Buyer', 'Procurement Manager', 'Plant Manager', 'CFO', 'Accounts Payable',
  'Operations Director', 'Technical Lead', 'Managing Director', 'Logistics Coordinator',
] as const;

/** What an opportunity is about, after the product name. */
export const OPPORTUNITY_PURPOSES = ['expansion', 'replacement', 'pilot', 'framework agreement', 'retrofit', 'annual supply'] as const;

/** Subjects of hand-logged activities by type. */
export const ACTIVITY_SUBJECTS = {
  CALL: ['Follow-up call on quote', 'Intro call with purchasing', 'Call about delivery dates', 'Pricing call'],
  EMAIL: ['Sent updated quote', 'Sent product datasheets', 'Answered question on lead times', 'Sent framework agreement draft'],
  MEETING: ['On-site visit', 'Quarterly business review', 'Technical workshop', 'Trade fair meeting'],
  NOTE: ['Budget approved for next quarter', 'Competitor offer on the table', 'Decision maker changed', 'Prefers delivery to north plant'],
} as const;

/** Subjects of service cases. */
export const CASE_SUBJECTS = [
  'Delivery delayed', 'Damaged goods on arrival', 'Invoice query', 'Wrong quantity delivered',
  'Certificate of conformity requested', 'Spare parts request', 'Warranty claim', 'Missing documentation',
] as const;

/** Carriers and how their tracking numbers start. */
export const CARRIERS = [
  { name: 'DHL', prefix: 'JD01460000' },
  { name: 'DPD', prefix: '0150' },
  { name: 'UPS', prefix: '1Z999AA1' },
  { name: 'GLS', prefix: '9130' },
  { name: 'DB Schenker', prefix: 'SCH' },
  { name: 'Kuehne+Nagel', prefix: 'KN' },
] as const;
