import type IORedis from 'ioredis';

/**
 * Two token buckets in Redis, shared by every worker process and updated atomically: Meta's pair
 * limit for one recipient, and the channel's throughput. Redis' own clock is used, so workers with
 * skewed clocks agree.
 *
 * The recipient's bucket is checked first and nothing is taken when it is empty (the send waits in
 * the delayed set, so other recipients flow). The channel's bucket hands out reservations: each
 * caller gets the next free slot at the channel's rate, so concurrent workers queue up evenly
 * instead of waking together and racing. Reservations go at most MAX_RESERVE_MS ahead.
 *
 * Returns [waitMs, reserved]: reserved = 1 means the send owns a slot `waitMs` from now.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function level(key, rate, burst)
  local v = redis.call('HMGET', key, 'tokens', 'at')
  local tokens, at = tonumber(v[1]), tonumber(v[2])
  if tokens == nil then return burst end
  return math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
end
local cRate, cBurst, pRate, pBurst, maxReserve = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local p = level(KEYS[2], pRate, pBurst)
if p < 1 then return { math.ceil((1 - p) * 1000 / pRate), 0 } end
local c = level(KEYS[1], cRate, cBurst) - 1
local wait = 0
if c < 0 then wait = math.ceil(-c * 1000 / cRate) end
if wait > maxReserve then return { wait - maxReserve, 0 } end
redis.call('HSET', KEYS[1], 'tokens', c, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((cBurst - c) / cRate * 1000) + 1000)
redis.call('HSET', KEYS[2], 'tokens', p - 1, 'at', now)
redis.call('PEXPIRE', KEYS[2], math.ceil(pBurst / pRate * 1000) + 1000)
return { wait, 1 }
`;

/**
 * The last word before a request leaves: a sliding log of the channel's sends. Paced slots can
 * still bunch up when a busy process wakes late; this refuses the send (returning the milliseconds
 * until a place frees up) whenever `limit` sends already left within the window (ARGV[3] ms).
 * An admitted send gets its admission time (Redis clock, ms) back, negated.
 */
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], window + 1000)
return -now
`;

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
    this.redis.defineCommand('waTakeSendTokens', { numberOfKeys: 2, lua: TAKE });
    this.redis.defineCommand('waAdmitSend', { numberOfKeys: 1, lua: ADMIT });
  }

  /**
   * Waits (briefly) until fewer than `perSecond` sends left the channel within the admission
   * window, counts this one, and returns the moment it was admitted.
   */
  async admit(channelId: string, perSecond: number, sendId: string): Promise<Date> {
    const run = (this.redis as unknown as Record<string, (...args: unknown[]) => Promise<number>>).waAdmitSend!;
    for (;;) {
      const answer = Number(await run.call(this.redis, `${this.prefix}:sent:ch:${channelId}`, perSecond, sendId, ADMISSION_WINDOW_MS));
      if (answer <= 0) return new Date(-answer);
      await new Promise((resolve) => setTimeout(resolve, answer));
    }
  }

  /**
   * Asks for a send to `recipient` on a channel limited to `perSecond`. The channel bucket holds a
   * single token, so sends are paced evenly at the channel's rate and never burst above it.
   */
  async take(channelId: string, perSecond: number, recipient: string): Promise<{ waitMs: number; reserved: boolean }> {
    const keys = [`${this.prefix}:tb:ch:${channelId}`, `${this.prefix}:tb:pair:${channelId}:${recipient}`];
    const run = (this.redis as unknown as Record<string, (...args: unknown[]) => Promise<[number, number]>>).waTakeSendTokens!;
    // Slots are paced at the rate admission allows, so a paced send is rarely turned back there.
    const pacedPerSecond = (perSecond * 1000) / ADMISSION_WINDOW_MS;
    const [waitMs, reserved] = await run.call(this.redis, ...keys, pacedPerSecond, 1, PAIR_RATE_PER_SECOND, PAIR_BURST, MAX_RESERVE_MS);
    return { waitMs: Number(waitMs), reserved: Number(reserved) === 1 };
  }
}
