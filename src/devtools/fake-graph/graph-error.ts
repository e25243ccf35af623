import { randomBytes } from 'node:crypto';

/**
 * Meta's error answers, as the Graph API gives them (notes/meta-cloud-api.md sections 7 and 8):
 * `{ error: { message: '(#code) title', type, code, error_data: { messaging_product, details },
 * fbtrace_id } }`. Clients must branch on `code` (and `details`), never on the HTTP status, which
 * differs between copies of Meta's table; the statuses below are the common ones.
 */

export interface GraphErrorBody {
  error: {
    message: string;
    type: 'OAuthException';
    code: number;
    error_data: { messaging_product: 'whatsapp'; details: string };
    fbtrace_id: string;
  };
}

/** An answer: JSON unless `body` is a Buffer, which goes out as is with `contentType`. */
export interface GraphAnswer {
  status: number;
  body: unknown;
  contentType?: string;
}

/** Titles and details from Meta's error-code table; a code missing here gets a generic text. */
const KNOWN: Record<number, { title: string; details?: string }> = {
  0: { title: 'AuthException', details: 'We were unable to authenticate the app user.' },
  1: { title: 'API Unknown', details: 'Invalid request or possible server error.' },
  2: { title: 'API Service', details: 'Temporary due to downtime or due to being overloaded.' },
  3: { title: 'API Method', details: 'Capability or permissions issue.' },
  4: { title: 'API Too Many Calls', details: 'The app has reached its API call rate limit.' },
  10: { title: 'Permission Denied', details: 'Permission is either not granted or has been removed.' },
  100: { title: 'Invalid parameter' },
  190: { title: 'Access token has expired', details: 'Your access token has expired.' },
  200: { title: 'API Permission', details: 'Permission is either not granted or has been removed.' },
  368: { title: 'Temporarily blocked for policies violations', details: 'The WhatsApp Business Account is restricted from messaging.' },
  80007: { title: 'Rate limit issues', details: 'The WhatsApp Business Account has reached its rate limit.' },
  130429: { title: 'Rate limit hit', details: 'Cloud API message throughput has been reached.' },
  130497: { title: 'Business account is restricted from messaging users in this country' },
  131000: { title: 'Something went wrong', details: 'Message failed to send due to an unknown error.' },
  131008: { title: 'Required parameter is missing' },
  131009: { title: 'Parameter value is not valid' },
  131016: { title: 'Service unavailable', details: 'A service is temporarily unavailable.' },
  131026: { title: 'Message undeliverable', details: 'Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number.' },
  131031: { title: 'Account has been locked' },
  131042: { title: 'Business eligibility payment issue' },
  131047: { title: 'Re-engagement message', details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.' },
  131048: { title: 'Spam rate limit hit', details: 'Message failed to send because there are restrictions on how many messages can be sent from this phone number.' },
  131049: { title: 'This message was not delivered to maintain healthy ecosystem engagement.' },
  131050: { title: 'User has stopped marketing messages', details: 'The recipient has chosen to stop receiving marketing messages on WhatsApp from your business.' },
  131051: { title: 'Unsupported message type' },
  131056: { title: '(Business Account, Consumer Account) pair rate limit hit', details: 'Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.' },
  131057: { title: 'Account in maintenance mode', details: 'Business Account is in maintenance mode.' },
  132000: { title: 'Template Param Count Mismatch', details: 'The number of variable parameter values does not match the number of expected parameters.' },
  132001: { title: 'Template does not exist', details: 'The template does not exist in the specified language or the template has not been approved.' },
  132012: { title: 'Template Parameter Format Mismatch' },
  132015: { title: 'Template is Paused', details: 'Template is paused due to low quality so it cannot be sent in a template message.' },
  132016: { title: 'Template is Disabled', details: 'Template has been paused too many times due to low quality and is now permanently disabled.' },
};

const TOO_MANY = new Set([4, 80007, 130429, 131056]);
const SERVER_SIDE = new Set([1, 2, 131000, 131016]);

/** The HTTP status Meta answers with for `code`. */
export function httpStatusForCode(code: number): number {
  if (code === 190) return 401;
  if (TOO_MANY.has(code)) return 429;
  if (SERVER_SIDE.has(code)) return 500;
  return 400;
}

export const defaultTitle = (code: number): string => KNOWN[code]?.title ?? 'Error';

/** Meta's trace ids look like `AbCdEf0123_-xyz`: opaque, 23 characters. */
const fbtraceId = () => randomBytes(18).toString('base64url').slice(0, 23);

export interface GraphErrorOptions {
  title?: string;
  details?: string;
  httpStatus?: number;
}

export function graphError(code: number, options: GraphErrorOptions = {}): GraphAnswer {
  const title = options.title ?? defaultTitle(code);
  const body: GraphErrorBody = {
    error: {
      message: `(#${code}) ${title}`,
      type: 'OAuthException',
      code,
      error_data: { messaging_product: 'whatsapp', details: options.details ?? KNOWN[code]?.details ?? title },
      fbtrace_id: fbtraceId(),
    },
  };
  return { status: options.httpStatus ?? httpStatusForCode(code), body };
}

/** The usual answer to a malformed request: code 100, with what is wrong in `details`. */
export const invalidParameter = (details: string, httpStatus = 400): GraphAnswer => graphError(100, { details, httpStatus });
