import { lookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { HttpTransportError, httpRequest } from '../../meta/http-transport';

export interface FlowHttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  timeoutMs: number;
}

export type FlowHttpOutcome = { ok: true; status: number; body: unknown } | { ok: false; error: string };

const MAX_TIMEOUT_MS = 30_000;
const MAX_RESPONSE_BYTES = 256 * 1024;

/** Addresses a flow written by a tenant must not reach: loopback, private networks, link-local (cloud metadata). */
const PRIVATE = new BlockList();
for (const [network, prefix] of [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['127.0.0.0', 8], ['169.254.0.0', 16], ['0.0.0.0', 8], ['100.64.0.0', 10]] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
// IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) reach IPv4 hosts, private ones included.
for (const [network, prefix] of [['::1', 128], ['fc00::', 7], ['fe80::', 10], ['::', 128], ['::ffff:0:0', 96]] as const) PRIVATE.addSubnet(network, prefix, 'ipv6');

const PRIVATE_REFUSED = 'private and loopback addresses are not allowed';

const isPrivate = (address: string, family: number) => PRIVATE.check(address, family === 6 ? 'ipv6' : 'ipv4');

/**
 * Resolves like dns.lookup but refuses a name with any private address. The connection is made to
 * the address checked here, so a name that resolves differently a moment later (DNS rebinding)
 * cannot slip a private address past the guard.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    if (!addresses.length || addresses.some(({ address, family }) => isPrivate(address, family))) {
      return callback(Object.assign(new Error(PRIVATE_REFUSED), { code: 'EPRIVATE' }), '', 0);
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

/**
 * Performs a flow's HTTP node request with its timeout (at most 30 s) and a bounded answer. Private
 * and loopback addresses are refused unless `allowPrivate` (local development and tests).
 */
export async function performFlowHttp(request: FlowHttpRequest, allowPrivate: boolean): Promise<FlowHttpOutcome> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { ok: false, error: 'invalid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, error: 'only http and https URLs are allowed' };
  // An address written in the URL is never looked up: check it here.
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(literal) && isPrivate(literal, isIP(literal))) return { ok: false, error: PRIVATE_REFUSED };
  const method = request.method.toUpperCase();
  const hasBody = request.body !== undefined && request.body !== null && method !== 'GET' && method !== 'HEAD';
  let answer;
  try {
    answer = await httpRequest(url, {
      method,
      headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...request.headers },
      body: hasBody ? JSON.stringify(request.body) : undefined,
      timeoutMs: Math.min(Math.max(request.timeoutMs, 100), MAX_TIMEOUT_MS),
      // Read no further than what is kept: a hostile endpoint cannot fill the worker's memory.
      maxBytes: MAX_RESPONSE_BYTES,
      oversize: 'truncate',
      lookup: allowPrivate ? undefined : publicOnlyLookup,
    });
  } catch (error) {
    return { ok: false, error: error instanceof HttpTransportError && error.timedOut ? 'timed out' : (error as Error).message };
  }
  let body: unknown = answer.text;
  try {
    body = JSON.parse(answer.text);
  } catch {
    // not JSON: keep the text
  }
  // Redirects are not followed: a 3xx is a failure like any other status outside 2xx.
  if (answer.status < 200 || answer.status > 299) return { ok: false, error: `HTTP ${answer.status}` };
  return { ok: true, status: answer.status, body };
}
