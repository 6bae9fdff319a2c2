// Our relay, alone in its process, exactly as the CLI starts it (options passed through).
import { Relay } from '../../src/chat/relay/relay';
import type { RelayOptions } from '../../src/chat/types';
import type { Role } from './role';

export async function relayRole(opts: RelayOptions): Promise<Role> {
  const relay = await Relay.start(opts);
  let warnings = 0;
  const warningSamples: string[] = [];
  relay.on('warning', (err) => {
    warnings++;
    if (warningSamples.length < 5) warningSamples.push(err.message);
  });
  // Fan-out time inside the relay: from the datagram's arrival to the last send of the message it
  // became. The sends themselves leave on process.nextTick (dgram resolves the address first), so the
  // end is stamped in setImmediate, after they have all been handed to the kernel. This peeks at the
  // relay's private socket: instrumentation only, nothing the relay does changes.
  const fanouts: number[] = [];
  const socket = (relay as unknown as { socket?: import('node:dgram').Socket }).socket;
  let arrived = 0;
  socket?.prependListener('message', () => {
    arrived = performance.now();
  });
  relay.on('message', () => {
    const from = arrived;
    if (socket) setImmediate(() => fanouts.push(performance.now() - from));
  });
  return {
    info: { address: relay.address(), notices: relay.notices },
    handlers: {
      stats: () => ({ ...relay.stats(), warnings, warningSamples }),
      fanouts: () => fanouts.splice(0),
    },
    close: () => relay.close(),
  };
}
