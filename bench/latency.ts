// Measure 3: send-to-delivery latency at every member of a room of 10 real ChatClients, the sender
// paced at a fixed rate. One clock: the sender and the members share the load generator's process,
// the relay runs in its own. A sample is (delivery time at a member) - (time client.send was called),
// for every member including the sender, which hears its own message back like everyone else.
import type { Address } from '../src/chat/types';
import { withChildren } from './lib/child';
import { sleep, spread, summarize, round, type Summary } from './lib/stats';
import { openRoom, text64 } from './room';
import { UNLIMITED } from './throughput';

export interface LatencyRun extends Summary {
  rate: number;
  messages: number;
  missing: number; // deliveries still outstanding when the run ended (should be 0)
}

export interface LatencyResult {
  rate: number;
  runs: LatencyRun[];
  p50: ReturnType<typeof spread>;
  p99: ReturnType<typeof spread>;
  max: ReturnType<typeof spread>;
}

/** Paces `rate` messages a second for `ms`: a 1 ms timer sends however many are due, so above ~1000/s
 * they leave in small bursts (as they would from any timer-driven sender). */
async function paced(rate: number, ms: number, send: (n: number) => void): Promise<number> {
  const t0 = performance.now();
  const total = Math.round((rate * ms) / 1000);
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
    while (sent < due) send(sent++);
    await sleep(Math.max(0, Math.min(1, t0 + (sent * 1000) / rate - performance.now())));
  }
  return sent;
}

export async function latency(rates: number[], runs: number, ms: number, size = 10): Promise<LatencyResult[]> {
  return withChildren(async (start) => {
    const relay = await start<{ address: Address }>('relay', { host: '127.0.0.1', port: 0, limits: UNLIMITED });
    const room = await openRoom(relay.info.address, size);
    try {
      const sender = room.clients[0];
      let sentAt = new Map<number, number>();
      let samples: number[] = [];
      let expected = 0;
      for (const c of room.clients) {
        c.on('message', (m) => {
          if (m.sender.id !== sender.clientId) return;
          const t = sentAt.get(m.msgId);
          if (t !== undefined) samples.push(performance.now() - t);
        });
      }
      const results: LatencyResult[] = [];
      for (const rate of rates) {
        const list: LatencyRun[] = [];
        for (let r = 0; r < runs; r++) {
          sentAt = new Map();
          samples = [];
          const messages = await paced(rate, ms, (n) => {
            const id = sender.nextMsgId();
            sentAt.set(id, performance.now());
            sender.send({ kind: 'text', text: text64(n) });
          });
          expected = messages * size;
          const deadline = performance.now() + 5000;
          while (samples.length < expected && performance.now() < deadline) await sleep(5);
          list.push({ rate, messages, missing: expected - samples.length, ...summarize(samples) });
          await sleep(100); // let the tail beacon and acks settle between runs
        }
        results.push({
          rate: round(rate, 0),
          runs: list.map((x) => ({ ...x, p50: round(x.p50, 3), p99: round(x.p99, 3), max: round(x.max, 3), mean: round(x.mean, 3) })),
          p50: spread(list.map((x) => x.p50)),
          p99: spread(list.map((x) => x.p99)),
          max: spread(list.map((x) => x.max)),
        });
      }
      return results;
    } finally {
      await room.close();
    }
  });
}
