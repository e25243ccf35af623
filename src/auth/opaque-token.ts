import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 in hex. High-entropy random secrets need no slow hash: guessing them is hopeless anyway. */
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

const API_KEY_PATTERN = /^wak_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

/** API keys look like `wak_<prefix>_<secret>`: the prefix finds the row, the whole key is hashed. */
export function generateApiKey(): { key: string; prefix: string } {
  const prefix = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12);
  return { key: `wak_${prefix}_${randomToken(32)}`, prefix };
}

export function parseApiKey(key: string): { prefix: string } | null {
  const match = API_KEY_PATTERN.exec(key);
  return match ? { prefix: match[1]! } : null;
}
