import type IORedis from 'ioredis';

/** Redis' own clock in milliseconds, so workers with skewed clocks agree. */
const CLOCK = `
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Two token buckets in Redis, shared by every worker process and updated atomically: Meta's pair
 * limit for one recipient, and the channel's throughput.
 *
 * The recipient's bucket is checked first and nothing is taken when it is empty (the send waits in
 * the delayed set, so other recipients flow). The channel's bucket hands out reservations: each
 * caller gets the next free slot at the channel's rate, so concurrent workers queue up evenly
 * instead of waking together and racing. Reservations go at most `maxReserve` ms ahead.
 *
 * Returns { waitMs, reserved }: reserved = 1 means the send owns a slot `waitMs` from now.
 */
const TAKE_FUNCTION = `
local function take(now, channelKey, pairKey, cRate, cBurst, pRate, pBurst, maxReserve)
  local function level(key, rate, burst)
    local v = redis.call('HMGET', key, 'tokens', 'at')
    local tokens, at = tonumber(v[1]), tonumber(v[2])
    if tokens == nil then return burst end
    return math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
  end
  local p = level(pairKey, pRate, pBurst)
  if p < 1 then return { math.ceil((1 - p) * 1000 / pRate), 0 } end
  local c = level(channelKey, cRate, cBurst) - 1
  local wait = 0
  if c < 0 then wait = math.ceil(-c * 1000 / cRate) end
  if wait > maxReserve then return { wait - maxReserve, 0 } end
  redis.call('HSET', channelKey, 'tokens', c, 'at', now)
  redis.call('PEXPIRE', channelKey, math.ceil((cBurst - c) / cRate * 1000) + 1000)
  redis.call('HSET', pairKey, 'tokens', p - 1, 'at', now)
  redis.call('PEXPIRE', pairKey, math.ceil(pBurst / pRate * 1000) + 1000)
  return { wait, 1 }
end
`;

/**
 * The last word before a request leaves: a sliding log of the channel's sends. Paced slots can
 * still bunch up when a busy process wakes late; this refuses the send (returning the milliseconds
 * until a place frees up) whenever `limit` sends already left within `window` ms. An admitted send
 * gets its admission time (Redis clock, ms) back, negated.
 */
const ADMIT_FUNCTION = `
local function admit(now, key, limit, sendId, window)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return math.max(1, tonumber(oldest[2]) + window - now)
  end
  redis.call('ZADD', key, now, sendId)
  redis.call('PEXPIRE', key, window + 1000)
  return -now
end
`;

const TAKE_ARGS = 'tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])';

/** KEYS: the channel's send log. ARGV: limit, send id, window. */
const ADMIT = `${CLOCK}${ADMIT_FUNCTION}
return admit(clock(), KEYS[1], tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]))`;

/**
 * `take`, and `admit` too when the slot is free at once (the common case), in one call: the
 * admission time comes back third (0 when not admitted). KEYS: channel bucket, pair bucket, the
 * channel's send log. ARGV: channel rate and burst, pair rate and burst, most reserve, then
 * ADMIT's limit, send id and window.
 */
const TAKE_AND_ADMIT = `${CLOCK}${TAKE_FUNCTION}${ADMIT_FUNCTION}
local now = clock()
local slot = take(now, KEYS[1], KEYS[2], ${TAKE_ARGS})
if slot[2] == 1 and slot[1] == 0 then
  local admitted = admit(now, KEYS[3], tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8]))
  if admitted <= 0 then return { 0, 1, -admitted } end
end
return { slot[1], slot[2], 0 }`;

/**
 * Meta counts a channel's messages per second as they arrive, a moment after we admit them, and on
 * a busy process that moment varies: with a 1.1 s window, 85 requests still arrived within one
 * second for a limit of 80 on a saturated core. Admitting at most the limit per 1.2 s keeps every
 * second at Meta's end within the limit, for about 17% of the peak rate.
 */
export const ADMISSION_WINDOW_MS = 1_200;

/**
 * Meta's pair limit: about one message every 6 s to one customer. Meta lets a burst of up to 45
 * borrow ahead; we allow 20, enough for a bot's few messages per turn without running into 131056.
 */
export const PAIR_RATE_PER_SECOND = 1 / 6;
export const PAIR_BURST = 20;

/** How far ahead a channel slot may be reserved; a send further out waits in the delayed set. */
export const MAX_RESERVE_MS = 250;

export class SendGovernor {
  constructor(
    private readonly redis: IORedis,
    private readonly prefix: string,
  ) {
    this.redis.defineCommand('waAdmitSend', { numberOfKeys: 1, lua: ADMIT });
    this.redis.defineCommand('waTakeAndAdmitSend', { numberOfKeys: 3, lua: TAKE_AND_ADMIT });
  }

  /**
   * Waits (briefly) until fewer than `perSecond` sends left the channel within the admission
   * window, counts this one, and returns the moment it was admitted.
   */
  async admit(channelId: string, perSecond: number, sendId: string): Promise<Date> {
    const run = (this.redis as unknown as Record<string, (...args: unknown[]) => Promise<number>>).waAdmitSend!;
    for (;;) {
      const answer = Number(await run.call(this.redis, this.sentKey(channelId), perSecond, sendId, ADMISSION_WINDOW_MS));
      if (answer <= 0) return new Date(-answer);
      await new Promise((resolve) => setTimeout(resolve, answer));
    }
  }

  /**
   * Asks for a send to `recipient` on a channel limited to `perSecond`, and admits it in the same
   * round trip when its slot is free at once: `admittedAt` is set when the send may leave now.
   * Otherwise the caller waits `waitMs` and then calls `admit` (reserved: the slot is ours), or
   * tries again later (not reserved). The channel bucket holds a single token, so sends are paced
   * evenly at the channel's rate and never burst above it.
   */
  async takeAndAdmit(channelId: string, perSecond: number, recipient: string, sendId: string): Promise<{ waitMs: number; reserved: boolean; admittedAt: Date | null }> {
    const run = (this.redis as unknown as Record<string, (...args: unknown[]) => Promise<[number, number, number]>>).waTakeAndAdmitSend!;
    const [waitMs, reserved, admittedAt] = await run.call(
      this.redis,
      ...this.takeKeys(channelId, recipient),
      this.sentKey(channelId),
      ...this.takeArgs(perSecond),
      perSecond,
      sendId,
      ADMISSION_WINDOW_MS,
    );
    return { waitMs: Number(waitMs), reserved: Number(reserved) === 1, admittedAt: Number(admittedAt) > 0 ? new Date(Number(admittedAt)) : null };
  }

  private takeKeys(channelId: string, recipient: string): [string, string] {
    return [`${this.prefix}:tb:ch:${channelId}`, `${this.prefix}:tb:pair:${channelId}:${recipient}`];
  }

  private sentKey(channelId: string): string {
    return `${this.prefix}:sent:ch:${channelId}`;
  }

  /** Slots are paced at the rate admission allows, so a paced send is rarely turned back there. */
  private takeArgs(perSecond: number): number[] {
    return [(perSecond * 1000) / ADMISSION_WINDOW_MS, 1, PAIR_RATE_PER_SECOND, PAIR_BURST, MAX_RESERVE_MS];
  }

}
