// A busy room in a process of its own (measure 11): `size` members of room `room`, each from its own
// loopback address (127.0.1.N, so each is a host of its own, as on a real network), each keeping
// `inFlight` messages outstanding, as fast as the relay lets them in. The quiet room measured beside
// it lives in the load generator; the flood's own fan-out never shares its event loop.
import { ChatClient } from '../../src/chat/client/client';
import type { Address } from '../../src/chat/types';
import type { Role } from './role';

export async function floodRole(opts: { server: Address; room: string; size: number; inFlight: number }): Promise<Role> {
  const clients: ChatClient[] = [];
  let running = false;
  let delivered = 0;
  let received = 0;
  const refill = (c: ChatClient) => {
    while (running && c.pending().length < opts.inFlight) c.send({ kind: 'text', text: 'busy neighbour '.padEnd(64, 'x') });
  };
  for (let i = 0; i < opts.size; i++) {
    const c = new ChatClient({ server: opts.server, name: `busy${i}`, room: opts.room, create: true, wantsRoster: false, bind: { host: `127.0.1.${i + 1}` } });
    c.on('delivery', (m) => {
      if (m.state !== 'delivered') return;
      delivered++;
      refill(c);
    });
    c.on('message', () => received++);
    clients.push(c);
    await c.start();
  }
  return {
    info: { members: clients.length },
    handlers: {
      start: () => {
        running = true;
        delivered = 0;
        received = 0;
        for (const c of clients) refill(c);
        return true;
      },
      stop: () => {
        running = false;
        return { delivered, received };
      },
    },
    close: async () => {
      running = false;
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}
