/**
 * The header of an unmasked, final WebSocket text frame (RFC 6455 section 5.2) for a payload of
 * `length` bytes, as a server sends it: with the payload after it, bytes any client reads as the
 * one message `ws.send(payload)` would have sent.
 */
export function textFrameHeader(length: number): Buffer {
  const FIN_TEXT = 0x81;
  if (length < 126) return Buffer.from([FIN_TEXT, length]);
  if (length < 0x10000) {
    const header = Buffer.allocUnsafe(4);
    header[0] = FIN_TEXT;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.allocUnsafe(10);
  header[0] = FIN_TEXT;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
}
