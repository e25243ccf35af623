import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings of the service's processes, set before anything else loads (main.ts imports this
 * first).
 *
 * No allocation-site pretenuring: V8 allocates straight into the old generation the objects of
 * sites whose objects often survived a young collection. The api's busiest sites (events parsed
 * from Redis, webhook requests in flight) make objects that die within milliseconds, yet enough of
 * them outlive one young collection under load to get their sites pretenured. In bench:subscriptions
 * (10,000 sockets, 1,000 events/s) api #1's old generation then grew 6.3-6.9 MB/s, against
 * 2.4-3.1 MB/s without; each full collection of that heap of several hundred MB costs the event
 * loop tens of milliseconds, which the live feeds' p99 pays.
 */
setFlagsFromString('--no-allocation-site-pretenuring');
