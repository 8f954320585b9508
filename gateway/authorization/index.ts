/** The gateway's field rules as other parts use them (subscriptions, webhook payloads): one import. */
export { type FieldScopes, type ScopeRule, apiSchemaOf, readFieldScopes, scopesOf } from './field-scopes';
export { AuthorizationLimitError, type AuthorizationOutcome, type RefusedField, authorizeDocument } from './operation-pruning';
export { applyRefusals } from './answer-refusals';
