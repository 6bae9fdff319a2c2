// Our relay, alone in its process, exactly as the CLI starts it (options passed through).
import type * as dgram from 'node:dgram';
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
  // became, stamped in setImmediate, after the sends have all been handed to the kernel. It peeks at
  // the relay's private socket: instrumentation only, nothing the relay does changes. It starts with
  // the first `fanouts` request, so the throughput measures, which never ask, run without it: a
  // second 'message' listener and a setImmediate per message cost the relay loop iterations of
  // their own, which is not what they measure.
  let fanouts: number[] | undefined;
  const timeFanouts = () => {
    const socket = (relay as unknown as { socket?: dgram.Socket }).socket;
    if (!socket) return;
    let arrived = 0;
    socket.prependListener('message', () => {
      arrived = performance.now();
    });
    relay.on('message', () => {
      const from = arrived;
      setImmediate(() => fanouts!.push(performance.now() - from));
    });
  };
  return {
    info: { address: relay.address(), notices: relay.notices },
    handlers: {
      stats: () => ({ ...relay.stats(), warnings, warningSamples }),
      fanouts: () => {
        if (!fanouts) {
          fanouts = [];
          timeFanouts();
        }
        return fanouts.splice(0);
      },
    },
    close: () => relay.close(),
  };
}
