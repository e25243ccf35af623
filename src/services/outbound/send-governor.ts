import type IORedis from 'ioredis';

/**
 * Two token buckets taken together and atomically in Redis (so every worker process shares them):
 * the channel's throughput (messages/s) and Meta's pair limit for one recipient. Redis' own clock
 * is used, so workers on machines with skewed clocks agree. Returns 0 when both gave a token, or
 * the milliseconds until both could; nothing is taken in that case.
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
local cRate, cBurst, pRate, pBurst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local c = level(KEYS[1], cRate, cBurst)
local p = level(KEYS[2], pRate, pBurst)
if c >= 1 and p >= 1 then
  redis.call('HSET', KEYS[1], 'tokens', c - 1, 'at', now)
  redis.call('PEXPIRE', KEYS[1], math.ceil(cBurst / cRate * 1000) + 1000)
  redis.call('HSET', KEYS[2], 'tokens', p - 1, 'at', now)
  redis.call('PEXPIRE', KEYS[2], math.ceil(pBurst / pRate * 1000) + 1000)
  return 0
end
local waitC = 0
if c < 1 then waitC = math.ceil((1 - c) * 1000 / cRate) end
local waitP = 0
if p < 1 then waitP = math.ceil((1 - p) * 1000 / pRate) end
return math.max(waitC, waitP, 1)
`;

/**
 * Meta's pair limit: about one message every 6 s to one customer. Meta lets a burst of up to 45
 * borrow ahead; we allow 20, enough for a bot's few messages per turn without running into 131056.
 */
export const PAIR_RATE_PER_SECOND = 1 / 6;
export const PAIR_BURST = 20;

export class SendGovernor {
  constructor(
    private readonly redis: IORedis,
    private readonly prefix: string,
  ) {
    this.redis.defineCommand('waTakeSendTokens', { numberOfKeys: 2, lua: TAKE });
  }

  /**
   * Takes one token for (channel, recipient). The channel bucket holds a single token: sends are
   * paced evenly at the channel's rate and never burst above it.
   */
  async take(channelId: string, perSecond: number, recipient: string): Promise<number> {
    const keys = [`${this.prefix}:tb:ch:${channelId}`, `${this.prefix}:tb:pair:${channelId}:${recipient}`];
    const run = (this.redis as unknown as Record<string, (...args: unknown[]) => Promise<number>>).waTakeSendTokens!;
    return Number(await run.call(this.redis, ...keys, perSecond, 1, PAIR_RATE_PER_SECOND, PAIR_BURST));
  }
}
