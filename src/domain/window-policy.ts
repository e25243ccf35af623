/** Meta's customer-service window: free-form replies only within 24 h of the customer's last message. */
export const WINDOW_MS = 24 * 60 * 60 * 1000;

export interface ServiceWindow {
  isOpen: boolean;
  expiresAt: Date | null;
}

export function windowExpiry(lastInboundAt: Date): Date {
  return new Date(lastInboundAt.getTime() + WINDOW_MS);
}

export function serviceWindow(lastInboundAt: Date | null | undefined, now = new Date()): ServiceWindow {
  if (!lastInboundAt) return { isOpen: false, expiresAt: null };
  const expiresAt = windowExpiry(lastInboundAt);
  return { isOpen: expiresAt.getTime() > now.getTime(), expiresAt };
}
