// Measure 11 (issue 11, "per-room limits so one busy room can't starve another"): the send-to-delivery
// latency in a quiet room of two, paced at 20 messages a second, while a neighbouring room on the same
// relay is idle and while it floods: ten members, each from its own address, each keeping 64 messages
// outstanding, so the relay's per-member rate (50/s by default) is what holds them back. The relay runs
// with its default limits, in its own process; the flood in another; the quiet room in the load
// generator. Phases alternate (idle, busy, idle, busy, ...) so a neighbour on the machine weighs on both.
import { ChatClient } from '../src/chat/client/client';
import type { Address } from '../src/chat/types';
import { withChildren } from './lib/child';
import { round, sleep, spread, summarize, waitFor, type Summary } from './lib/stats';
import { text64 } from './room';

export interface NeighbourResult {
  idle: { p50: ReturnType<typeof spread>; p99: ReturnType<typeof spread> };
  busy: { p50: ReturnType<typeof spread>; p99: ReturnType<typeof spread> };
  /** Messages the busy room had sequenced per second, and datagrams its members read per second. */
  busyRate: ReturnType<typeof spread>;
  missing: number;
}

const RATE = 20;

export async function neighbour(rounds: number, ms: number): Promise<NeighbourResult> {
  return withChildren(async (start) => {
    const relay = await start<{ address: Address }>('relay', { host: '127.0.0.1', port: 0 });
    const server = relay.info.address;
    const flood = await start<{ members: number }>('flood', { server, room: 'busy', size: 10, inFlight: 64 });
    const bind = { host: '127.0.0.3' };
    const a = new ChatClient({ server, name: 'quiet-a', room: 'quiet', create: true, wantsRoster: false, bind });
    const b = new ChatClient({ server, name: 'quiet-b', room: 'quiet', create: true, wantsRoster: false, bind: { host: '127.0.0.4' } });
    try {
      await a.start();
      await b.start();
      let sentAt = new Map<number, number>();
      let samples: number[] = [];
      b.on('message', (m) => {
        const t = m.sender.id === a.clientId ? sentAt.get(m.msgId) : undefined;
        if (t !== undefined) samples.push(performance.now() - t);
      });
      const phase = async (): Promise<{ s: Summary; missing: number }> => {
        sentAt = new Map();
        samples = [];
        const total = Math.round((RATE * ms) / 1000);
        const t0 = performance.now();
        for (let n = 0; n < total; n++) {
          await sleep(Math.max(0, t0 + (n * 1000) / RATE - performance.now()));
          sentAt.set(a.nextMsgId(), performance.now());
          a.send({ kind: 'text', text: text64(n) });
        }
        await waitFor(() => samples.length >= total, 10_000);
        return { s: summarize(samples), missing: total - samples.length };
      };
      const idle: Summary[] = [];
      const busy: Summary[] = [];
      const busyRate: number[] = [];
      let missing = 0;
      for (let r = 0; r < rounds; r++) {
        const quiet = await phase();
        idle.push(quiet.s);
        missing += quiet.missing;
        await flood.request('start');
        await sleep(500); // the flood reaches its steady rate
        const t0 = performance.now();
        const loud = await phase();
        const done = await flood.request<{ delivered: number }>('stop');
        busyRate.push(done.delivered / ((performance.now() - t0 + 500) / 1000));
        busy.push(loud.s);
        missing += loud.missing;
        await sleep(1000); // the flood's last messages drain before the next quiet phase
      }
      const of = (xs: Summary[]) => ({ p50: spread(xs.map((x) => round(x.p50, 3))), p99: spread(xs.map((x) => round(x.p99, 3))) });
      return { idle: of(idle), busy: of(busy), busyRate: spread(busyRate.map((x) => round(x, 0))), missing };
    } finally {
      await a.close();
      await b.close();
    }
  });
}
