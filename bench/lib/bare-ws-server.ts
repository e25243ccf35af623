/**
 * The bare-WebSocket baseline of bench/subscriptions.ts, run as its own process: the same Redis
 * topics in, the same sockets out, and nothing in between. A socket joins an organization with its
 * first message (`{"org":"<id>"}`); each event published on the organization's topic is framed once
 * (one Buffer) and sent as it is to that organization's sockets: no GraphQL, no execution.
 *
 *   REDIS_URL=... REDIS_PREFIX=... PORT=... node -r @swc-node/register bench/lib/bare-ws-server.ts
 */
import { createServer } from 'node:http';
import IORedis from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';

const prefix = `${process.env.REDIS_PREFIX}:events:org:`;
const sockets = new Map<string, Set<WebSocket>>();
const http = createServer();
const wss = new WebSocketServer({ server: http });

wss.on('connection', (socket) => {
  socket.once('message', (data) => {
    const { org } = JSON.parse(String(data)) as { org: string };
    let group = sockets.get(org);
    if (!group) sockets.set(org, (group = new Set()));
    group.add(socket);
    socket.once('close', () => group.delete(socket));
    socket.send('{"joined":true}');
  });
});

const redis = new IORedis(process.env.REDIS_URL!);
void redis.psubscribe(`${prefix}*`);
redis.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
  const group = sockets.get(channel.toString().slice(prefix.length));
  if (group) for (const socket of group) socket.send(message, { binary: false });
});

http.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.once('SIGTERM', () => {
  for (const client of wss.clients) client.terminate();
  redis.disconnect();
  http.close(() => process.exit(0));
});
