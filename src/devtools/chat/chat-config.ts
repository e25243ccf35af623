import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readDemoFile } from './demo-file';

/** Where the chat finds the running local service, and who it pretends to be. */
export interface ChatTarget {
  appUrl: string;
  /** The app's in-process fake Graph API (replies are read there); null when the app runs without one. */
  fakeGraphUrl: string | null;
  phoneNumberId: string;
  wabaId: string;
  displayPhoneNumber: string;
  stateDir: string;
  /** Who the chat speaks as. */
  customer: ChatCustomer;
}

export interface ChatCustomer {
  /** WhatsApp id: the customer's phone number in digits. */
  waId: string;
  /** WhatsApp profile name. */
  name: string;
}

/** The demo customer the chat speaks as unless told otherwise (--from, --name). */
export const DEFAULT_CUSTOMER: ChatCustomer = { waId: '15550001111', name: 'Demo Customer' };

/** The seeded demo number, for when demo.json is missing (the service then is probably not running either). */
const DEFAULT_CHANNEL = { phoneNumberId: '100000000000001', wabaId: '200000000000001', displayPhoneNumber: '+1 555 010 0001' };
const DEFAULT_PORT = 4000;

/** A problem the user fixes by (re)starting the service; printed as is, exit code 1. */
export class ChatSetupError extends Error {}

/**
 * Found the way `npm start` keeps them: PORT when set (default 4000) or else the URL the running app
 * wrote to demo.json; the fake Graph API's URL from demo.json (else PORT + 10). LOCAL_STATE_DIR
 * moves `.local`, as it does for the app.
 */
export function resolveTarget(env: NodeJS.ProcessEnv, customer: Partial<ChatCustomer> = {}): ChatTarget {
  if (customer.waId !== undefined && !/^\d{6,15}$/.test(customer.waId)) throw new ChatSetupError(`--from must be a phone number in 6 to 15 digits, like ${DEFAULT_CUSTOMER.waId}`);
  if (customer.name !== undefined && !customer.name.trim()) throw new ChatSetupError('--name must not be blank');
  const stateDir = path.resolve(env.LOCAL_STATE_DIR || '.local');
  const demo = readDemoFile(stateDir);
  const port = env.PORT ? Number(env.PORT) : null;
  if (port !== null && (!Number.isInteger(port) || port <= 0 || port > 65535)) throw new ChatSetupError(`PORT must be the port npm start uses, got "${env.PORT}"`);
  // demo.json describes the app that last started; an explicit PORT naming another one wins.
  const demoPort = demo.url ? Number(new URL(demo.url).port) : null;
  const useDemo = port === null || port === demoPort;
  const fallbackPort = port ?? DEFAULT_PORT;
  const appUrl = useDemo && demo.url ? demo.url : `http://127.0.0.1:${fallbackPort}`;
  const fakeGraphUrl = useDemo && demo.fakeGraphUrl !== undefined ? demo.fakeGraphUrl : `http://127.0.0.1:${fallbackPort + 10}`;
  return {
    appUrl: appUrl.replace(/\/+$/, ''),
    fakeGraphUrl,
    ...(demo.channel ?? DEFAULT_CHANNEL),
    stateDir,
    customer: { waId: customer.waId ?? DEFAULT_CUSTOMER.waId, name: customer.name?.trim() ?? DEFAULT_CUSTOMER.name },
  };
}

/** META_APP_SECRET from the environment, else from `<state dir>/dev.env` as scripts/start.sh writes it. */
export function resolveAppSecret(env: NodeJS.ProcessEnv, stateDir: string): string {
  if (env.META_APP_SECRET) return env.META_APP_SECRET;
  const file = path.join(stateDir, 'dev.env');
  const fromFile = existsSync(file) ? devEnvValue(readFileSync(file, 'utf8'), 'META_APP_SECRET') : undefined;
  if (fromFile) return fromFile;
  throw new ChatSetupError(
    `Cannot sign webhooks: META_APP_SECRET is not set and ${path.relative(process.cwd(), file) || file} has none. ` +
      'npm start generates it: start the service with npm start, or set META_APP_SECRET to the one it runs with.',
  );
}

/**
 * A variable of dev.env. start.sh writes `export NAME="${NAME:-value}"` (the environment wins); a
 * plain `NAME=value` or `export NAME="value"` is read too.
 */
export function devEnvValue(text: string, name: string): string | undefined {
  for (const line of text.split('\n')) {
    const match = new RegExp(`^\\s*(?:export\\s+)?${name}=(.*)$`).exec(line);
    if (!match) continue;
    let value = match[1]!.trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    const fallback = /^\$\{\w+:-(.*)\}$/.exec(value);
    return fallback ? fallback[1] : value;
  }
  return undefined;
}
