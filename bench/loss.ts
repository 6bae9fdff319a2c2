// Measure 4: loss recovery. A room of real ChatClients talks to the relay through a proxy that drops
// a share of the datagrams both ways; one sender sends N messages at a fixed rate. Every member must
// deliver every message once, in order. The protocol's real timers throughout (25 ms PTO floor).
// Members join before the proxy starts dropping: this measures delivery under loss, not joining.
import type { Address } from '../src/chat/types';
import { withChildren } from './lib/child';
import { round, sleep, summarize, type Summary } from './lib/stats';
import { openRoom, text64 } from './room';

export interface LossRun {
  loss: number;
  messages: number;
  members: number;
  /** Deliveries of the sender's messages over messages x members: 1 means everyone got everything. */
  deliveredShare: number;
  duplicates: number;
  outOfOrder: number;
  latency: Summary;
  /** Data fragments the sender sent again, per message. */
  clientRetransmitsPerMessage: number;
  /** Messages the relay sent again on a member's Resend (gap repair), per message. */
  relayResendsPerMessage: number;
  dropped: { up: number; down: number };
  /** ms from the last send until every member had everything. */
  drainMs: number;
  /** Messages the relay sequenced in the run (more than `messages`: some were sequenced twice). */
  sequenced: number;
  /** Times a client decided the relay was gone and rejoined (ConnectionState 'reconnecting'). */
  reconnects: number;
  warnings: string[];
}

const DRAIN_LIMIT_MS = 30_000;

async function lossOnce(loss: number, messages: number, rate: number, size: number, seed: number): Promise<LossRun> {
  return withChildren(async (start) => {
    // 100 messages a second from one member is over the default 50/s: the member limit is raised.
    const relay = await start<{ address: Address }>('relay', { host: '127.0.0.1', port: 0, limits: { memberMessagesPerSecond: 1000, memberBurst: 1000 } });
    const proxy = await start<{ address: Address }>('proxy', { relay: relay.info.address, seed });
    const room = await openRoom(proxy.info.address, size);
    try {
      const sender = room.clients[0];
      const sentAt = new Map<number, number>();
      const samples: number[] = [];
      const seen = room.clients.map(() => new Set<number>());
      const lastId = room.clients.map(() => 0);
      let duplicates = 0;
      let outOfOrder = 0;
      room.clients.forEach((c, i) =>
        c.on('message', (m) => {
          if (m.sender.id !== sender.clientId) return;
          if (seen[i].has(m.msgId)) duplicates++;
          if (m.msgId <= lastId[i]) outOfOrder++;
          lastId[i] = m.msgId;
          seen[i].add(m.msgId);
          const t = sentAt.get(m.msgId);
          if (t !== undefined) samples.push(performance.now() - t);
        }),
      );
      let reconnects = 0;
      for (const c of room.clients) c.on('state', (st) => st.state === 'reconnecting' && reconnects++);
      await proxy.request('reset');
      await proxy.request('loss', { loss });
      const stats0 = await relay.request<{ retransmitsServed: number; headSeq: number }>('stats');
      const retx0 = sender.retransmits;
      const t0 = performance.now();
      for (let n = 0; n < messages; n++) {
        const wait = t0 + (n * 1000) / rate - performance.now();
        if (wait > 0) await sleep(wait);
        sentAt.set(sender.nextMsgId(), performance.now());
        sender.send({ kind: 'text', text: text64(n) });
      }
      const lastSent = performance.now();
      const complete = () => seen.every((s) => s.size >= messages);
      while (!complete() && performance.now() - lastSent < DRAIN_LIMIT_MS) await sleep(5);
      const drainMs = performance.now() - lastSent;
      const retransmits = sender.retransmits - retx0;
      const stats = await relay.request<{ retransmitsServed: number; headSeq: number }>('stats');
      const px = await proxy.request<{ droppedUp: number; droppedDown: number }>('stats');
      await proxy.request('loss', { loss: 0 }); // so Leave gets through
      const delivered = seen.reduce((n, s) => n + s.size, 0);
      return {
        loss,
        messages,
        members: size,
        deliveredShare: delivered / (messages * size),
        duplicates,
        outOfOrder,
        latency: summarize(samples),
        clientRetransmitsPerMessage: retransmits / messages,
        relayResendsPerMessage: (stats.retransmitsServed - stats0.retransmitsServed) / messages,
        dropped: { up: px.droppedUp, down: px.droppedDown },
        drainMs: round(drainMs, 1),
        sequenced: stats.headSeq - stats0.headSeq,
        reconnects,
        warnings: room.warnings.slice(0, 5),
      };
    } finally {
      await room.close();
    }
  });
}

/** The lossless run first (the reference), then each loss rate. */
export async function lossRecovery(losses: number[], messages: number, rate = 100, size = 10): Promise<LossRun[]> {
  const out: LossRun[] = [];
  for (const [i, loss] of [0, ...losses].entries()) out.push(await lossOnce(loss, messages, rate, size, 1000 + i));
  return out;
}
