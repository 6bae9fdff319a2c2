// Measure 3: send-to-delivery latency at every member of a room of 10 real ChatClients, the sender
// paced at a fixed rate. One clock: the sender and the members share the load generator's process,
// the relay runs in its own. A sample is (delivery time at a member) - (time client.send was called),
// for every member including the sender, which hears its own message back like everyone else.
import { bindLoopbackSockets, targetsOf } from './lib/sockets';
import type { Address } from '../src/chat/types';
import { withChildren } from './lib/child';
import { median, round, sleep, spread, summarize, waitFor, type Summary } from './lib/stats';
import { openRoom, text64 } from './room';
import { UNLIMITED } from './throughput';

export interface LatencyRun extends Summary {
  rate: number;
  messages: number;
  missing: number; // deliveries still outstanding DRAIN_MS after the run (should be 0)
  reconnects: number; // clients that decided the relay was gone during the run (should be 0)
  /** Inside the relay: a Data datagram's arrival until its fan-out was handed to the kernel. */
  relay: Summary;
  /** p50 of the member that was fastest and of the one that was slowest: the ten clients share one
   * process and one event loop here, so the last one to read a fan-out waits for the nine before it. */
  memberP50: { min: number; max: number };
}

const DRAIN_MS = 15_000;

export interface LatencyResult {
  rate: number;
  runs: LatencyRun[];
  p50: ReturnType<typeof spread>;
  p99: ReturnType<typeof spread>;
  max: ReturnType<typeof spread>;
  missing: number;
  reconnects: number;
  relayP99: ReturnType<typeof spread>;
  memberP50: { min: number; max: number };
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

/** Each rate gets a fresh relay and room; runs at one rate share them, and each run waits until the
 * last one is fully delivered (or DRAIN_MS passes) so that a slow run cannot spill into the next. */
export async function latency(rates: number[], runs: number, ms: number, size = 10): Promise<LatencyResult[]> {
  const results: LatencyResult[] = [];
  for (const rate of rates) {
    results.push(
      await withChildren(async (start) => {
        const relay = await start<{ address: Address }>('relay', { host: '127.0.0.1', port: 0, limits: UNLIMITED });
        const room = await openRoom(relay.info.address, size);
        try {
          const sender = room.clients[0];
          let sentAt = new Map<number, number>();
          let samples: number[] = [];
          let perMember: number[][] = [];
          let reconnects = 0;
          room.clients.forEach((c, i) => {
            c.on('state', (st) => st.state === 'reconnecting' && reconnects++);
            c.on('message', (m) => {
              if (m.sender.id !== sender.clientId) return;
              const t = sentAt.get(m.msgId);
              if (t === undefined) return;
              samples.push(performance.now() - t);
              perMember[i].push(performance.now() - t);
            });
          });
          const list: LatencyRun[] = [];
          for (let r = 0; r < runs; r++) {
            sentAt = new Map();
            samples = [];
            perMember = room.clients.map(() => []);
            reconnects = 0;
            await relay.request('fanouts'); // forget the ones before this run
            const messages = await paced(rate, ms, (n) => {
              sentAt.set(sender.nextMsgId(), performance.now());
              sender.send({ kind: 'text', text: text64(n) });
            });
            const expected = messages * size;
            await waitFor(() => samples.length >= expected, DRAIN_MS);
            const relaySide = summarize(await relay.request<number[]>('fanouts'));
            const p50s = perMember.map((x) => summarize(x).p50);
            list.push({ rate, messages, missing: expected - samples.length, reconnects, ...summarize(samples), relay: relaySide, memberP50: { min: Math.min(...p50s), max: Math.max(...p50s) } });
            await sleep(100); // the tail beacon and the last acks settle between runs
          }
          return {
            rate: round(rate, 0),
            runs: list.map((x) => ({
              ...x,
              p50: round(x.p50, 3),
              p99: round(x.p99, 3),
              max: round(x.max, 3),
              mean: round(x.mean, 3),
              relay: { ...x.relay, p50: round(x.relay.p50, 3), p99: round(x.relay.p99, 3), max: round(x.relay.max, 3), mean: round(x.relay.mean, 3) },
              memberP50: { min: round(x.memberP50.min, 3), max: round(x.memberP50.max, 3) },
            })),
            relayP99: spread(list.map((x) => x.relay.p99)),
            memberP50: { min: median(list.map((x) => x.memberP50.min)), max: median(list.map((x) => x.memberP50.max)) },
            p50: spread(list.map((x) => x.p50)),
            p99: spread(list.map((x) => x.p99)),
            max: spread(list.map((x) => x.max)),
            missing: list.reduce((n, x) => n + x.missing, 0),
            reconnects: list.reduce((n, x) => n + x.reconnects, 0),
          };
        } finally {
          await room.close();
        }
      }),
    );
  }
  return results;
}

/** The floor under measure 3: the same paced load through the bare node:dgram fan-out to ten plain
 * sockets (no protocol, no client): what the machine's loopback and process wake-ups cost alone. */
export async function bareLatency(rate: number, runs: number, ms: number, size = 10): Promise<{ rate: number; p50: ReturnType<typeof spread>; p99: ReturnType<typeof spread> }> {
  return withChildren(async (start) => {
    const fan = await start<{ address: Address }>('bare-fanout', {});
    const sockets = await bindLoopbackSockets(size);
    try {
      await fan.request('targets', { targets: targetsOf(sockets) });
      let sentAt: number[] = [];
      let samples: number[] = [];
      for (const s of sockets) s.on('message', (buf) => samples.push(performance.now() - sentAt[buf.readUInt32BE(0)]));
      const list: Summary[] = [];
      for (let r = 0; r < runs; r++) {
        sentAt = [];
        samples = [];
        const messages = await paced(rate, ms, (n) => {
          const buf = Buffer.from(text64(n));
          buf.writeUInt32BE(n, 0);
          sentAt[n] = performance.now();
          sockets[0].send(buf, fan.info.address.port, fan.info.address.host);
        });
        await waitFor(() => samples.length >= messages * size, 2000);
        list.push(summarize(samples));
        await sleep(100);
      }
      return { rate, p50: spread(list.map((x) => x.p50)), p99: spread(list.map((x) => x.p99)) };
    } finally {
      await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    }
  });
}
