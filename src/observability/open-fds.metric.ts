import { readdir } from 'node:fs/promises';
import { Gauge, type Registry } from 'prom-client';

export const OPEN_FDS_METRIC = 'process_open_fds';

/**
 * `process_open_fds`, counted off the event loop. prom-client's default collector lists
 * /proc/self/fd with readdirSync on every scrape; an api holding 10,000 WebSockets has as many
 * descriptors, and that listing blocked its event loop for 13-35 ms per scrape on the 2-core
 * machine, delaying every live delivery due meanwhile. Listed asynchronously, the loop stalls about
 * 2 ms (building the names), the rest runs in libuv's thread pool. Linux only, as the default is.
 */
export function registerOpenFdsGauge(registry: Registry): void {
  if (process.platform !== 'linux') return;
  registry.removeSingleMetric(OPEN_FDS_METRIC);
  new Gauge({
    name: OPEN_FDS_METRIC,
    help: 'Number of open file descriptors.',
    registers: [registry],
    async collect() {
      try {
        // Minus the descriptor the listing itself had open, as the default collector counts.
        this.set((await readdir('/proc/self/fd')).length - 1);
      } catch {
        // /proc unreadable (a sandbox): no sample, as with the default.
      }
    },
  });
}
