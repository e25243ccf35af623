import type IORedis from 'ioredis';

/**
 * Closes a client without ever hanging: QUIT when connected (bounded), a plain disconnect when
 * Redis is away (a queued QUIT would wait for a reconnection that may never come).
 */
export async function closeRedis(client: IORedis, timeoutMs = 1000): Promise<void> {
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const bounded = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([client.quit().then(() => undefined, () => undefined), bounded]).finally(() => clearTimeout(timer));
  client.disconnect();
}
