import { signBody } from '../../src/meta/webhook-signature';
import { KeepAliveClient } from './keep-alive-client';

/**
 * Posts signed webhook deliveries to `url` over at most `sockets` keep-alive connections of the
 * lean client, and resolves with each answer's status. node:http's client spent more CPU per
 * request than the service does ingesting it, taken from the same 2 cores, and the process that
 * posts is often the one that times the service's answers too.
 */
export class WebhookPoster {
  private readonly client: KeepAliveClient;
  private readonly hostHeader: string;

  constructor(
    url: string,
    private readonly appSecret: string,
    sockets: number,
  ) {
    const { hostname, port } = new URL(url);
    this.client = new KeepAliveClient(hostname, Number(port), sockets);
    this.hostHeader = `${hostname}:${port}`;
  }

  post(body: string): Promise<number> {
    const head =
      `POST /webhooks/meta HTTP/1.1\r\nHost: ${this.hostHeader}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Hub-Signature-256: ${signBody(body, this.appSecret)}\r\n\r\n`;
    return this.client.request(Buffer.from(head + body));
  }

  close(): void {
    this.client.close();
  }
}
