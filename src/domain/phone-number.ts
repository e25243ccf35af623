/** E.164 allows at most 15 digits; no country code plus subscriber number is shorter than 8. */
export const PHONE_DIGITS_MIN = 8;
export const PHONE_DIGITS_MAX = 15;

/** Longer input is refused before any work: no legitimate spelling of 15 digits needs more. */
const INPUT_MAX = 64;

const SEPARATORS = /[ .()-]/g;
const WA_ID = new RegExp(`^[1-9][0-9]{${PHONE_DIGITS_MIN - 1},${PHONE_DIGITS_MAX - 1}}$`);

/**
 * A phone number in the form Meta uses for `wa_id` and accepts in `to`: digits only, country code
 * first. Deliberately strict, so that a number is never guessed:
 *
 * - spaces, dashes, dots and parentheses are removed wherever they are;
 * - then one leading `+` or international prefix `00` is removed;
 * - what is left must be 8 to 15 ASCII digits not starting with 0, or the result is null.
 *
 * A national number without its country code cannot be told apart from an international one:
 * `(415) 555-0100` becomes `4155550100`, which WhatsApp reads as country code 41. Callers that
 * hold national numbers must add the country code themselves (`+1 415 555 0100`).
 */
export function normalizeWhatsAppNumber(input: string): string | null {
  if (typeof input !== 'string' || input.length > INPUT_MAX) return null;
  let digits = input.replace(SEPARATORS, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (digits.startsWith('00')) digits = digits.slice(2);
  return WA_ID.test(digits) ? digits : null;
}
