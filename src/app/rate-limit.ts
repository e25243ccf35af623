import type IORedis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  retryAfterSeconds: number;
}

/**
 * A fixed one-minute window per credential, counted in Redis so every api process shares it. If
 * Redis is unreachable, an in-memory limiter stands in rather than refusing every request.
 */
export class RequestRateLimiter {
  private readonly limiter: RateLimiterRedis;

  constructor(
    redis: IORedis,
    keyPrefix: string,
    private readonly perMinute: number,
  ) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix,
      points: perMinute,
      duration: 60,
      insuranceLimiter: new RateLimiterMemory({ points: perMinute, duration: 60 }),
    });
  }

  async consume(key: string): Promise<RateDecision> {
    try {
      const result = await this.limiter.consume(key);
      return { allowed: true, limit: this.perMinute, remaining: result.remainingPoints, retryAfterSeconds: 0 };
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return { allowed: false, limit: this.perMinute, remaining: 0, retryAfterSeconds: Math.ceil(rejection.msBeforeNext / 1000) };
    }
  }
}
