import { checkEndpoint, isPublicAddress } from './endpoint-policy';

const resolvingTo = (...addresses: string[]) => async () => addresses;
const production = { production: true };
const development = { production: false };

describe('partner endpoint policy', () => {
  it('accepts https to a public address in production and http to loopback in development', async () => {
    await expect(checkEndpoint('https://hooks.partner.example/erp', production, resolvingTo('93.184.216.34'))).resolves.toBeInstanceOf(URL);
    await expect(checkEndpoint('http://127.0.0.1:8080/hook', development)).resolves.toBeInstanceOf(URL);
    await expect(checkEndpoint('http://localhost:8080/hook', development, resolvingTo('127.0.0.1', '::1'))).resolves.toBeInstanceOf(URL);
    await expect(checkEndpoint('https://hooks.partner.example/erp', development, resolvingTo('10.0.0.8'))).resolves.toBeInstanceOf(URL);
  });

  it.each([
    ['http://hooks.partner.example/x', production, resolvingTo('93.184.216.34'), 'must use https'],
    ['http://127.0.0.1/x', production, undefined, 'must use https'],
    ['http://hooks.partner.example/x', development, resolvingTo('93.184.216.34'), 'only to a loopback address'],
    ['https://127.0.0.1/x', production, undefined, 'private, loopback or link-local'],
    ['https://169.254.169.254/latest/meta-data', production, undefined, 'private, loopback or link-local'],
    ['https://10.1.2.3/x', production, undefined, 'private, loopback or link-local'],
    ['https://[::1]/x', production, undefined, 'private, loopback or link-local'],
    ['https://[fd00::1]/x', production, undefined, 'private, loopback or link-local'],
    ['https://[::ffff:192.168.1.1]/x', production, undefined, 'private, loopback or link-local'],
    // A public name with one private address among its records (DNS rebinding's usual shape).
    ['https://rebind.partner.example/x', production, resolvingTo('93.184.216.34', '192.168.0.10'), 'private, loopback or link-local'],
    ['https://user:pass@hooks.partner.example/x', production, resolvingTo('93.184.216.34'), 'credentials'],
    ['ftp://hooks.partner.example/x', production, resolvingTo('93.184.216.34'), 'must use https'],
    ['not a url', production, undefined, 'absolute URL'],
    ['https://nowhere.invalid/x', production, async () => Promise.reject(new Error('ENOTFOUND')), 'does not resolve'],
  ])('refuses %s', async (url, policy, resolve, reason) => {
    await expect(checkEndpoint(url, policy, resolve)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining(reason) });
  });

  it('tells public addresses from private, loopback, link-local, shared and reserved ones', () => {
    expect(['8.8.8.8', '93.184.216.34', '2606:4700::1111'].map(isPublicAddress)).toEqual([true, true, true]);
    expect(['0.0.0.0', '100.64.0.1', '172.16.5.4', '192.168.1.1', '224.0.0.1', '::', 'fe80::1', '::ffff:127.0.0.1', 'nonsense'].map(isPublicAddress)).toEqual(Array(9).fill(false));
  });
});
