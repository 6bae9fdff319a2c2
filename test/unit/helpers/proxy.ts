// A lossy UDP proxy on 127.0.0.1 between clients and a relay: drops, duplicates and reorders
// datagrams both ways, with a seeded generator so a failure can be replayed. One upstream socket
// per client, so the relay sees each client at its own address, as it would on a network.
import * as dgram from 'node:dgram';
import { seededRandom } from './random';

export interface ProxyOptions {
  drop?: number; // probability a datagram is dropped
  duplicate?: number; // probability it is sent twice
  reorder?: number; // probability it is held back 1-10 ms
  seed?: number;
}

export class LossyProxy {
  private readonly front = dgram.createSocket('udp4');
  private readonly upstreams = new Map<string, dgram.Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private rand: () => number;
  counts = { forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 };

  private constructor(
    private readonly target: { host: string; port: number },
    private readonly opts: ProxyOptions,
  ) {
    this.rand = seededRandom(opts.seed ?? 42);
  }

  static async start(target: { host: string; port: number }, opts: ProxyOptions): Promise<LossyProxy> {
    const p = new LossyProxy(target, opts);
    await new Promise<void>((r) => p.front.bind(0, '127.0.0.1', r));
    p.front.on('message', (buf, rinfo) => p.fromClient(buf, rinfo));
    return p;
  }

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.front.address().port };
  }

  private fromClient(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    let up = this.upstreams.get(key);
    if (!up) {
      const sock = dgram.createSocket('udp4');
      sock.bind(0, '127.0.0.1');
      sock.on('message', (reply) => this.pass(reply, (b) => this.front.send(b, rinfo.port, rinfo.address)));
      this.upstreams.set(key, sock);
      up = sock;
    }
    const s = up;
    this.pass(buf, (b) => s.send(b, this.target.port, this.target.host));
  }

  private pass(buf: Buffer, send: (b: Buffer) => void): void {
    const copy = Buffer.from(buf);
    if (this.rand() < (this.opts.drop ?? 0)) {
      this.counts.dropped++;
      return;
    }
    const times = this.rand() < (this.opts.duplicate ?? 0) ? 2 : 1;
    if (times === 2) this.counts.duplicated++;
    for (let i = 0; i < times; i++) {
      if (this.rand() < (this.opts.reorder ?? 0)) {
        this.counts.reordered++;
        const t = setTimeout(() => {
          this.timers.delete(t);
          send(copy);
        }, 1 + Math.floor(this.rand() * 10));
        this.timers.add(t);
      } else {
        send(copy);
      }
      this.counts.forwarded++;
    }
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    const socks = [this.front, ...this.upstreams.values()];
    await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
