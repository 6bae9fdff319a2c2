// The soak's honest members: real ChatClients, as the extension and the CLI run them, each on a
// loopback address of its own (127.0.0.1, .2, ...) so that per-host limits never count them together.
// They chat at a steady rate (every tenth message 3 KB, three fragments) and record what a user would
// notice: every message once, in order, no gap the relay could not fill, and how long each took.
import { ChatClient } from '../../src/chat/client/client';
import type { Address, RoomMessage } from '../../src/chat/types';

/** A message an honest member sent, and what the relay said about it. */
export interface Sent {
  senderId: string;
  msgId: number;
  text: string;
  at: number;
  /** Its room seq, once the sender had it acknowledged (delivered). */
  seq?: number;
}

export interface Honest {
  name: string;
  host: string;
  client: ChatClient;
  sent: Map<number, Sent>;
  /** Honest messages delivered here, by `${senderId}:${msgId}`, with how many times. */
  got: Map<string, number>;
  /** Non-legacy messages of anyone else (the hostile), by `${senderId}:${msgId}`: de-duplication. */
  others: Map<string, number>;
  lastSeq: number;
  /** Deliveries whose seq was not the one after the previous: a gap or a duplicate. */
  outOfOrder: number;
  /** Messages the relay said it could not recover (Gone). */
  lost: number;
  reconnects: number;
}

/** 64 bytes, or 3,000 (three fragments) for every tenth: honest traffic has pastes too. */
export function honestText(name: string, n: number): string {
  const head = `${name} #${n} `;
  return n % 10 === 9 ? head.padEnd(3000, 'y') : head.padEnd(64, 'x');
}

export class HonestRoom {
  /** When each latency sample's message was sent, and the latency, in ms (performance.now()). */
  readonly sentAt: number[] = [];
  readonly latency: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly ids = new Set<string>();

  private constructor(readonly members: Honest[]) {}

  /** Joins `count` members one at a time, member i from 127.0.0.(i + 1). */
  static async open(server: Address, count: number): Promise<HonestRoom> {
    const room = new HonestRoom([]);
    try {
      for (let i = 0; i < count; i++) {
        const host = `127.0.0.${i + 1}`;
        const client = new ChatClient({ server, name: `honest${i}`, bind: { host } });
        const h: Honest = { name: `honest${i}`, host, client, sent: new Map(), got: new Map(), others: new Map(), lastSeq: 0, outOfOrder: 0, lost: 0, reconnects: 0 };
        room.members.push(h);
        room.ids.add(client.clientId);
        room.watch(h);
        await client.start();
      }
    } catch (err) {
      await room.close();
      throw err;
    }
    return room;
  }

  private watch(h: Honest): void {
    const c = h.client;
    c.on('message', (m) => this.delivered(h, m));
    c.on('lost', (n) => (h.lost += n));
    c.on('state', (s) => s.state === 'reconnecting' && h.reconnects++);
    c.on('delivery', (o) => {
      const s = h.sent.get(o.msgId);
      if (s && o.state === 'delivered') s.seq = o.seq;
    });
  }

  private delivered(h: Honest, m: RoomMessage): void {
    if (h.lastSeq !== 0 && m.seq !== h.lastSeq + 1) h.outOfOrder++;
    h.lastSeq = Math.max(h.lastSeq, m.seq);
    const key = `${m.sender.id}:${m.msgId}`;
    if (!this.ids.has(m.sender.id)) {
      if (!m.sender.legacy) h.others.set(key, (h.others.get(key) ?? 0) + 1);
      return;
    }
    h.got.set(key, (h.got.get(key) ?? 0) + 1);
    const sent = this.members.find((x) => x.client.clientId === m.sender.id)?.sent.get(m.msgId);
    if (sent && (h.got.get(key) ?? 0) === 1) {
      const now = performance.now();
      this.sentAt.push(sent.at);
      this.latency.push(now - sent.at);
    }
  }

  /** One message from `h`, recorded before it leaves. */
  say(h: Honest, text: string): Sent {
    const msgId = h.client.nextMsgId();
    const s: Sent = { senderId: h.client.clientId, msgId, text, at: performance.now() };
    h.sent.set(msgId, s);
    h.client.send({ kind: 'text', text });
    return s;
  }

  /** Every member sends `perSecond` messages a second, evenly spread, until stop(). */
  start(perSecond: number): void {
    const t0 = performance.now();
    const counts = this.members.map(() => 0);
    this.timer = setInterval(() => {
      const elapsed = performance.now() - t0;
      this.members.forEach((h, i) => {
        // Members are offset from each other so the room's traffic is steady, not in bursts.
        const due = Math.floor(((elapsed - (i * 1000) / perSecond / this.members.length) * perSecond) / 1000) + 1;
        while (counts[i] < due) this.say(h, honestText(h.name, counts[i]++));
      });
    }, 5);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** All honest messages sent so far. */
  allSent(): Sent[] {
    return this.members.flatMap((h) => [...h.sent.values()]);
  }

  /** Every member has every honest message. */
  complete(): boolean {
    const total = this.allSent().length;
    return this.members.every((h) => h.got.size >= total);
  }

  /** The roomId and a seq every member has delivered: where a verifier can resume from. */
  resumePoint(): { roomId: string; lastSeq: number } | undefined {
    return this.members[0]?.client.resumePoint();
  }

  async close(): Promise<void> {
    this.stop();
    await Promise.all(this.members.map((h) => h.client.close()));
  }
}
