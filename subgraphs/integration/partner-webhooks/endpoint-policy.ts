import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError, ErrorCode } from '../../../platform/errors';

/** Where partner endpoints may point. */
export interface EndpointPolicy {
  /** Production refuses every non-public address and plain http; development allows http to loopback. */
  production: boolean;
}

// Addresses a webhook must never reach in production: this host, private networks, link-local
// (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast, reserved and documentation ranges.
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for an address a production webhook may reach (IPv4-mapped IPv6 is judged as its IPv4). */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const plain = mapped ? mapped[1] : address;
  const family = isIP(plain);
  if (family === 0) return false;
  return !NON_PUBLIC.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}

/** True for a loopback address. */
export function isLoopbackAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const plain = mapped ? mapped[1] : address;
  const family = isIP(plain);
  return family !== 0 && LOOPBACK.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}

/** Resolves a host name to every address it has (an IP literal to itself). */
export type Resolver = (host: string) => Promise<string[]>;

/** The system resolver, every address. */
export const systemResolver: Resolver = async (host) => {
  if (isIP(host)) return [host];
  return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
};

/**
 * Checks an endpoint URL against the policy and returns it normalised, or throws BAD_USER_INPUT
 * saying why. Used when an endpoint is registered and again at every delivery, with the
 * addresses the name resolves to then (a name that once pointed outside may point inside later).
 * In development: https anywhere, or http to a loopback address. In production: https only, and
 * every address the host resolves to must be public.
 */
export async function checkEndpoint(raw: string, policy: EndpointPolicy, resolve: Resolver = systemResolver): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError(ErrorCode.BAD_USER_INPUT, 'the endpoint must be an absolute URL');
  }
  if (raw.length > 2000) throw new AppError(ErrorCode.BAD_USER_INPUT, 'the endpoint URL is longer than 2000 characters');
  if (url.username || url.password) throw new AppError(ErrorCode.BAD_USER_INPUT, 'the endpoint URL must not carry credentials');
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError(ErrorCode.BAD_USER_INPUT, 'the endpoint must use https');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `the endpoint's host ${host} does not resolve`);
  }
  if (addresses.length === 0) throw new AppError(ErrorCode.BAD_USER_INPUT, `the endpoint's host ${host} does not resolve`);
  if (url.protocol === 'http:') {
    if (policy.production) throw new AppError(ErrorCode.BAD_USER_INPUT, 'the endpoint must use https');
    if (!addresses.every(isLoopbackAddress)) throw new AppError(ErrorCode.BAD_USER_INPUT, 'plain http is allowed only to a loopback address in development; use https');
    return url;
  }
  if (policy.production && !addresses.every(isPublicAddress)) {
    throw new AppError(ErrorCode.BAD_USER_INPUT, `the endpoint's host ${host} resolves to a private, loopback or link-local address`);
  }
  return url;
}
