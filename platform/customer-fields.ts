import { z } from 'zod';

/**
 * One rule per customer master-data field, shared by the CRM and ERP backends and the
 * integration's API input, so a value one system takes is never refused by the other when synced.
 * Refusals name the field; callers turn them into BAD_USER_INPUT.
 */

/** An email address: one @, a dotted domain, no spaces, at most 254 characters (RFC 5321 path). */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const EMAIL_MAX_LENGTH = 254;

/** Payment terms: NET and the days, e.g. NET30. */
export const PAYMENT_TERMS_PATTERN = /^NET\d{1,3}$/;

/** A country is an ISO-3166 alpha-2 code in capitals ("DE", not "Germany" or "de"). */
export const COUNTRY_RULE = 'must be an ISO-3166 alpha-2 code in capitals, e.g. "DE"';

export const ISO_3166_ALPHA_2 = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
    'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
    'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG ' +
    'UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

/** True when `value` is an assigned ISO-3166 alpha-2 code. */
export function isCountryCode(value: string): boolean {
  return ISO_3166_ALPHA_2.has(value);
}

/** The same rules as zod schemas, for the backends' REST validation. */
export const countrySchema = z.string().trim().refine(isCountryCode, COUNTRY_RULE);
export const emailSchema = z.string().trim().max(EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`).regex(EMAIL_PATTERN, 'must be an email address');
export const paymentTermsSchema = z.string().regex(PAYMENT_TERMS_PATTERN, 'must be NET followed by days, e.g. "NET30"');
