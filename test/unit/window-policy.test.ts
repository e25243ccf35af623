import { WINDOW_MS, serviceWindow, windowExpiry } from '../../src/domain/window-policy';

const HOUR = 3_600_000;
const lastMessage = new Date('2026-03-29T00:30:00.000Z'); // a DST change night in Europe: irrelevant in UTC

describe('windowExpiry', () => {
  it("is exactly 24 hours after the customer's message", () => {
    expect(WINDOW_MS).toBe(24 * HOUR);
    expect(windowExpiry(lastMessage).toISOString()).toBe('2026-03-30T00:30:00.000Z');
  });

  it('does not change the date it is given', () => {
    const at = new Date(lastMessage);
    windowExpiry(at);
    expect(at.getTime()).toBe(lastMessage.getTime());
  });
});

describe('serviceWindow', () => {
  const at = (offsetMs: number) => new Date(lastMessage.getTime() + offsetMs);

  it('is closed, with no expiry, before the customer ever wrote', () => {
    expect(serviceWindow(null, at(0))).toEqual({ isOpen: false, expiresAt: null });
    expect(serviceWindow(undefined, at(0))).toEqual({ isOpen: false, expiresAt: null });
  });

  it.each([
    ['right after the message', 0, true],
    ['an hour later', HOUR, true],
    ['a millisecond before 24 hours', WINDOW_MS - 1, true],
    ['at exactly 24 hours', WINDOW_MS, false],
    ['a day and a minute later', WINDOW_MS + 60_000, false],
    ['a week later', 7 * WINDOW_MS, false],
  ])('%s: open = %p', (_when, offset, isOpen) => {
    expect(serviceWindow(lastMessage, at(offset))).toEqual({ isOpen, expiresAt: windowExpiry(lastMessage) });
  });

  it('is open when the message timestamp is slightly ahead of our clock', () => {
    expect(serviceWindow(lastMessage, at(-5_000)).isOpen).toBe(true);
  });

  it('uses the current time by default', () => {
    expect(serviceWindow(new Date(Date.now() - HOUR)).isOpen).toBe(true);
    expect(serviceWindow(new Date(Date.now() - 2 * WINDOW_MS)).isOpen).toBe(false);
  });
});
