import { flowErrorFor } from './flow-error-text';

const as = (role: string) => ({ sub: `u-${role}`, role, customerId: role === 'partner' ? 'crm:x' : null });

describe('flow error texts as each reader sees them', () => {
  // What the engine stores while a step is retried, and when the retry window ran out.
  const retrying = 'attempt 4 failed: UPSTREAM_UNAVAILABLE: erp is unavailable (UND_ERR_CONNECT_TIMEOUT)';
  const undoRetrying = 'undo attempt 2 failed: UPSTREAM_UNAVAILABLE: erp answer was lost (UND_ERR_SOCKET)';
  const gaveUp = 'reserve-stock failed after 63 attempts over 3600 s: UPSTREAM_UNAVAILABLE: erp is unavailable (ECONNREFUSED)';
  const refused = 'check-credit failed: NOT_FOUND: product NOPE-1 does not exist';

  it.each(['sales', 'partner', 'operations'])('gives %s the code and a generic reason, never the connector message', (role) => {
    for (const text of [retrying, undoRetrying, gaveUp]) expect(flowErrorFor(as(role), text)).toBe('UPSTREAM_UNAVAILABLE: a backend system was unavailable');
    expect(flowErrorFor(as(role), refused)).toBe('NOT_FOUND: a record the flow needs does not exist');
  });

  it.each(['finance', 'admin'])('gives %s the stored text', (role) => {
    expect(flowErrorFor(as(role), gaveUp)).toBe(gaveUp);
    expect(flowErrorFor(null, retrying)).toBe(retrying);
  });
});
