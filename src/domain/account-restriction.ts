/** Meta's account restriction types (account_update webhook, `restriction_info[].restriction_type`). */
const BLOCKS: Record<'business' | 'customer', string> = {
  business: 'RESTRICTED_BIZ_INITIATED_MESSAGING',
  customer: 'RESTRICTED_CUSTOMER_INITIATED_MESSAGING',
};

interface Restriction {
  restriction_type?: unknown;
  expiration?: unknown;
}

/**
 * Whether a channel's current restriction forbids a send. Business-initiated means a template
 * opening or re-opening a conversation; customer-initiated means a reply inside the 24-hour window.
 * A restriction with a past expiration (unix seconds) no longer applies.
 */
export function restrictionBlocks(accountRestriction: Record<string, unknown> | null | undefined, kind: 'business' | 'customer', now = new Date()): boolean {
  const list = accountRestriction?.restriction_info;
  if (!Array.isArray(list)) return false;
  return list.some((item: Restriction) => {
    if (item?.restriction_type !== BLOCKS[kind]) return false;
    const expires = Number(item.expiration);
    return !Number.isFinite(expires) || expires <= 0 || expires * 1000 > now.getTime();
  });
}
