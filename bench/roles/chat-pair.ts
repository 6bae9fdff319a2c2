// Two ChatClients in a room of the relay, in a process of their own: one sends paced messages, the other
// reads them, and a phase reports the send-to-read latency. Measure 12 (files) runs it beside a file
// transfer in the same room, so the chat's latency is the relay's doing and not the load generator's
// (whose event loop is busy sealing and checking the file's chunks).
import { ChatClient } from '../../src/chat/client/client';
import type { Address } from '../../src/chat/types';
import { sleep, summarize, waitFor, type Summary } from '../lib/stats';
import { text64 } from '../room';
import type { Role } from './role';

const MAX_PHASE_MS = 60_000;

export async function chatPairRole(opts: { server: Address; room?: string }): Promise<Role> {
  const a = new ChatClient({ server: opts.server, name: 'chat-a', room: opts.room, wantsRoster: false });
  const b = new ChatClient({ server: opts.server, name: 'chat-b', room: opts.room, wantsRoster: false });
  await a.start();
  await b.start();
  let sentAt = new Map<number, number>();
  let samples: number[] = [];
  b.on('message', (m) => {
    const t = m.sender.id === a.clientId ? sentAt.get(m.msgId) : undefined;
    if (t !== undefined) samples.push(performance.now() - t);
  });
  let stop = false;
  return {
    info: { clients: 2 },
    handlers: {
      /** Sends at `rate` a second for `ms` (or until `stop`), then waits up to 10 s for the last. */
      phase: async (args: { rate: number; ms: number }): Promise<Summary & { sent: number; missing: number }> => {
        sentAt = new Map();
        samples = [];
        stop = false;
        const total = Math.round((args.rate * Math.min(args.ms, MAX_PHASE_MS)) / 1000);
        const t0 = performance.now();
        let sent = 0;
        for (let n = 0; n < total && !stop; n++) {
          await sleep(Math.max(0, t0 + (n * 1000) / args.rate - performance.now()));
          sentAt.set(a.nextMsgId(), performance.now());
          a.send({ kind: 'text', text: text64(n) });
          sent++;
        }
        await waitFor(() => samples.length >= sent, 10_000);
        return { ...summarize(samples), sent, missing: sent - samples.length };
      },
      stop: () => {
        stop = true;
        return true;
      },
    },
    close: async () => {
      stop = true;
      await a.close();
      await b.close();
    },
  };
}
