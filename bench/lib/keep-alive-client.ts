import { connect, type Socket } from 'node:net';

const HEAD_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

/**
 * One keep-alive HTTP/1.1 connection with one request in flight, the way wrk drives a server: the
 * request is written as one buffer and the answer is read just far enough to know its status and
 * where it ends. node:http's client spends several times the server's CPU per request, and on a
 * 2-core machine every microsecond the load generator spends is taken from the service it measures.
 */
class Connection {
  private received: Buffer | null = null;
  private waiting: { resolve: (status: number) => void; reject: (error: Error) => void } | null = null;
  broken = false;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (error?: Error) => {
      this.broken = true;
      const waiting = this.waiting;
      this.waiting = null;
      waiting?.reject(Object.assign(error ?? new Error('connection closed'), { code: (error as NodeJS.ErrnoException | undefined)?.code ?? 'ECONNRESET' }));
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
  }

  send(request: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      // Closed while idle (the server's keep-alive timeout): a write would never be answered.
      if (this.broken) return reject(Object.assign(new Error('connection closed while idle'), { code: 'ECONNRESET' }));
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  private onData(chunk: Buffer) {
    const data = this.received ? Buffer.concat([this.received, chunk]) : chunk;
    const headEnd = data.indexOf(HEAD_END);
    if (headEnd < 0) {
      this.received = data;
      return;
    }
    const head = data.toString('latin1', 0, headEnd);
    const length = Number(CONTENT_LENGTH.exec(head)?.[1] ?? NaN);
    if (!Number.isFinite(length)) {
      this.socket.destroy(new Error('answer without Content-Length'));
      return;
    }
    if (data.length < headEnd + 4 + length) {
      this.received = data;
      return;
    }
    this.received = null;
    if (/\r\nconnection:\s*close/i.test(head)) this.broken = true;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve(Number(head.slice(9, 12)));
  }

  close() {
    this.socket.destroy();
  }
}

/** A pool of at most `maxSockets` keep-alive connections; requests beyond it wait for a free one. */
export class KeepAliveClient {
  private readonly idle: Connection[] = [];
  private readonly queued: { resolve: (connection: Connection) => void; reject: (error: Error) => void }[] = [];
  private open = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly maxSockets: number,
  ) {}

  /** Sends a complete request (head and body) and resolves with the answer's status. */
  async request(request: Buffer): Promise<number> {
    const connection = await this.take();
    try {
      return await connection.send(request);
    } finally {
      this.give(connection);
    }
  }

  private take(): Promise<Connection> {
    let connection = this.idle.pop();
    // The server closes connections left idle past its keep-alive timeout.
    while (connection?.broken) {
      connection.close();
      this.open -= 1;
      connection = this.idle.pop();
    }
    if (connection) return Promise.resolve(connection);
    if (this.open < this.maxSockets) {
      this.open += 1;
      return new Promise((resolve, reject) => {
        const refused = (error: Error) => {
          this.open -= 1;
          reject(error);
        };
        const socket = connect(this.port, this.host, () => {
          socket.off('error', refused);
          resolve(new Connection(socket));
        });
        socket.once('error', refused);
      });
    }
    return new Promise((resolve, reject) => this.queued.push({ resolve, reject }));
  }

  private give(connection: Connection) {
    if (connection.broken) {
      connection.close();
      this.open -= 1;
      // A waiting request gets a fresh connection instead.
      const next = this.queued.shift();
      if (next) this.take().then(next.resolve, next.reject);
      return;
    }
    const next = this.queued.shift();
    if (next) next.resolve(connection);
    else this.idle.push(connection);
  }

  close() {
    for (const connection of this.idle.splice(0)) connection.close();
  }
}
