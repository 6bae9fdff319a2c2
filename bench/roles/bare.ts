// The baselines our relay is compared with: a few lines of node:dgram and no protocol at all. They
// get the same receive buffer the relay asks for, so the comparison is about the code, not the kernel.
import * as dgram from 'node:dgram';
import { encode } from '../../src/protocol/codec';
import { PacketType } from '../../src/protocol/packets';
import type { Role } from './role';

const RECV_BUFFER = 4 * 1024 * 1024; // what Relay.start asks for

function bind(socket: dgram.Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

function counters() {
  return { datagramsIn: 0, datagramsOut: 0 };
}

/** Receives a datagram and sends it on to every address it was given. */
export async function bareFanoutRole(opts: { host?: string }): Promise<Role> {
  const socket = dgram.createSocket('udp4');
  await bind(socket, 0, opts.host ?? '127.0.0.1');
  socket.setRecvBufferSize(RECV_BUFFER);
  const c = counters();
  let targets: { host: string; port: number }[] = [];
  socket.on('message', (buf) => {
    c.datagramsIn++;
    for (const t of targets) socket.send(buf, t.port, t.host);
    c.datagramsOut += targets.length;
  });
  return {
    info: { address: { host: socket.address().address, port: socket.address().port } },
    handlers: {
      targets: (args: { targets: { host: string; port: number }[] }) => {
        targets = args.targets;
        return targets.length;
      },
      stats: () => ({ ...c }),
    },
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

/** What the seed relay does: receive, and broadcast the same bytes to its own port. */
export async function bareBroadcastRole(opts: { host: string; port: number; broadcast: string }): Promise<Role> {
  const socket = dgram.createSocket({ type: 'udp4', reusePort: true, reuseAddr: true } as dgram.SocketOptions);
  await bind(socket, opts.port, opts.host);
  socket.setBroadcast(true);
  socket.setRecvBufferSize(RECV_BUFFER);
  const c = counters();
  socket.on('message', (buf) => {
    c.datagramsIn++;
    socket.send(buf, opts.port, opts.broadcast);
    c.datagramsOut++;
  });
  return {
    info: { address: { host: socket.address().address, port: socket.address().port } },
    handlers: { stats: () => ({ ...c }) },
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

/** Answers every datagram with a Pong's bytes: the idle relay's work, and no more. */
export async function bareEchoRole(): Promise<Role> {
  const socket = dgram.createSocket('udp4');
  await bind(socket, 0, '127.0.0.1');
  socket.setRecvBufferSize(RECV_BUFFER);
  const c = counters();
  // A real Pong (so the members count it like the relay's), encoded once; heartbeatMs 0 changes nothing.
  const pong = encode({ type: PacketType.Pong, nonce: 0, epoch: 0, headSeq: 0, rosterVersion: 0, heartbeatMs: 0 });
  socket.on('message', (_buf, rinfo) => {
    c.datagramsIn++;
    socket.send(pong, rinfo.port, rinfo.address);
    c.datagramsOut++;
  });
  return {
    info: { address: { host: socket.address().address, port: socket.address().port } },
    handlers: { stats: () => ({ ...c }) },
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}
