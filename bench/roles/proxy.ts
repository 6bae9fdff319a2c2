// A lossy UDP proxy between members and the relay. Members send to its one listening socket; for each
// member it opens a socket of its own toward the relay, so the relay sees as many addresses as there
// are members. Each datagram, either way, is dropped with probability `loss`, from a seeded random
// source, so a run can be repeated with the same losses.
import * as dgram from 'node:dgram';
import { seededRandom } from '../lib/stats';
import type { Role } from './role';

const MAX_MEMBERS = 1024; // bounds the sockets a confused client could make us open

export async function proxyRole(opts: { relay: { host: string; port: number }; seed?: number }): Promise<Role> {
  const random = seededRandom(opts.seed ?? 1);
  let loss = 0;
  const c = { up: 0, down: 0, droppedUp: 0, droppedDown: 0 };
  const listen = dgram.createSocket('udp4');
  const upstream = new Map<string, dgram.Socket>();
  await new Promise<void>((resolve, reject) => {
    listen.once('error', reject);
    listen.bind(0, '127.0.0.1', () => resolve());
  });

  const toRelay = (key: string, host: string, port: number): dgram.Socket | undefined => {
    const s = upstream.get(key);
    if (s || upstream.size >= MAX_MEMBERS) return s;
    const sock = dgram.createSocket('udp4');
    sock.bind(0, '127.0.0.1');
    sock.on('message', (buf, rinfo) => {
      if (rinfo.port !== opts.relay.port) return;
      if (random() < loss) {
        c.droppedDown++;
        return;
      }
      c.down++;
      listen.send(buf, port, host);
    });
    upstream.set(key, sock);
    return sock;
  };

  listen.on('message', (buf, rinfo) => {
    const s = toRelay(`${rinfo.address}|${rinfo.port}`, rinfo.address, rinfo.port);
    if (!s) return;
    if (random() < loss) {
      c.droppedUp++;
      return;
    }
    c.up++;
    s.send(buf, opts.relay.port, opts.relay.host);
  });

  return {
    info: { address: { host: '127.0.0.1', port: listen.address().port } },
    handlers: {
      loss: (args: { loss: number }) => {
        loss = args.loss;
        return loss;
      },
      stats: () => ({ ...c, members: upstream.size }),
      reset: () => Object.assign(c, { up: 0, down: 0, droppedUp: 0, droppedDown: 0 }),
    },
    close: async () => {
      await Promise.all([...upstream.values(), listen].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
