import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

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
for (const [network, prefix] of [['::1', 128], ['fc00::', 7], ['fe80::', 10], ['::', 128]] as const) PRIVATE.addSubnet(network, prefix, 'ipv6');

async function isPrivateHost(hostname: string): Promise<boolean> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  return addresses.some(({ address, family }) => PRIVATE.check(address, family === 6 ? 'ipv6' : 'ipv4'));
}

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
  try {
    if (!allowPrivate && (await isPrivateHost(url.hostname))) return { ok: false, error: 'private and loopback addresses are not allowed' };
    const method = request.method.toUpperCase();
    const hasBody = request.body !== undefined && request.body !== null && method !== 'GET' && method !== 'HEAD';
    const response = await fetch(url, {
      method,
      headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...request.headers },
      body: hasBody ? JSON.stringify(request.body) : undefined,
      redirect: 'error',
      signal: AbortSignal.timeout(Math.min(Math.max(request.timeoutMs, 100), MAX_TIMEOUT_MS)),
    });
    const text = (await response.text()).slice(0, MAX_RESPONSE_BYTES);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    if (!response.ok) return { ok: false, error: `HTTP ${response.status}` };
    return { ok: true, status: response.status, body };
  } catch (error) {
    return { ok: false, error: (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message };
  }
}
