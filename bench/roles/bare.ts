// The baselines our relay is compared with: a few lines of node:dgram and no protocol at all (or, for
// the sealed fan-out, protocol 2's per-datagram crypto and nothing else). They get the same receive
// buffer the relay asks for, so the comparison is about the code, not the kernel.
import * as dgram from 'node:dgram';
import { encode } from '../../src/protocol/codec';
import { selectCrypto } from '../../src/protocol/crypto';
import { PacketType } from '../../src/protocol/packets';
import { SessionOpener, SessionSealer } from '../../src/protocol/session-cipher';
import { SEALED_PREFIX_BYTES, sealedPrefix } from '../../src/protocol/v2';
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

/** A session's key as it crosses the IPC channel. */
export interface HexKey {
  key: string;
  iv: string;
}
const fromHex = (k: HexKey) => ({ key: Buffer.from(k.key, 'hex'), iv: Buffer.from(k.iv, 'hex') });

/**
 * The bare fan-out with the relay's per-recipient authentication and nothing else: a datagram in is
 * opened under the sender's session (AES-256-GCM, replay window), and its payload sealed for each
 * member under that member's own session, with the relay's SessionSealer and backend, and sent. No
 * decoding, no sequencing, no history: what protocol 2 costs a fan-out at the least.
 */
export async function sealedFanoutRole(opts: { host?: string }): Promise<Role> {
  const { crypto } = await selectCrypto(); // the backend the relay chooses, the same way
  const socket = dgram.createSocket('udp4');
  await bind(socket, 0, opts.host ?? '127.0.0.1');
  socket.setRecvBufferSize(RECV_BUFFER);
  const c = { ...counters(), unopened: 0 };
  let opener: SessionOpener | undefined;
  let targets: { host: string; port: number; prefix: Buffer; sealer: SessionSealer }[] = [];
  socket.on('message', (buf) => {
    c.datagramsIn++;
    const opened = opener?.open(buf, SEALED_PREFIX_BYTES);
    if (!opened?.ok) return void c.unopened++;
    for (const t of targets) socket.send(t.sealer.seal(t.prefix, opened.payload), t.port, t.host);
    c.datagramsOut += targets.length;
  });
  return {
    info: { address: { host: socket.address().address, port: socket.address().port }, backend: crypto.backend },
    handlers: {
      targets: (args: { upstream: HexKey; targets: Array<{ host: string; port: number; sessionId: string } & HexKey> }) => {
        opener = new SessionOpener(crypto, fromHex(args.upstream));
        targets = args.targets.map((t) => ({ host: t.host, port: t.port, prefix: sealedPrefix(Buffer.from(t.sessionId, 'hex')), sealer: new SessionSealer(crypto, fromHex(t)) }));
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
