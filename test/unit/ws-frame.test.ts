import type { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { textFrameHeader } from '../../src/services/live/ws-frame';

/** ws's frame parser (what its client runs on every byte it receives); exported, but not in its type definitions. */
const { Receiver } = WebSocket as unknown as {
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => EventEmitter & { write(chunk: Buffer): void };
};

/** What ws's own parser (the client side of a connection) reads from `bytes`. */
function parse(bytes: Buffer): Promise<{ text: string; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data: Buffer, isBinary: boolean) => resolve({ text: data.toString('utf8'), isBinary }));
    receiver.on('error', reject);
    receiver.write(bytes);
  });
}

describe('prebuilt WebSocket text frames', () => {
  // Each length form of RFC 6455: 7 bits, 16 bits (from 126), 64 bits (from 65,536); and their edges.
  it.each([0, 1, 125, 126, 127, 1_000, 65_535, 65_536, 200_000])('reads back a %i-byte payload as one text message', async (length) => {
    const payload = Buffer.from('é'.repeat(Math.floor(length / 2)) + 'x'.repeat(length % 2));
    expect(payload.length).toBe(length);
    const message = await parse(Buffer.concat([textFrameHeader(length), payload]));
    expect(message).toEqual({ text: payload.toString('utf8'), isBinary: false });
  });

  it('uses the shortest length form', () => {
    expect(textFrameHeader(125)).toHaveLength(2);
    expect(textFrameHeader(126)).toHaveLength(4);
    expect(textFrameHeader(65_535)).toHaveLength(4);
    expect(textFrameHeader(65_536)).toHaveLength(10);
  });
});
