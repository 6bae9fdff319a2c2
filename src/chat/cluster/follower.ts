// Following a room's stream from a seq: an ordered consumer (ephemeral, in memory, pulled), which the
// client library recreates after the last delivered seq when it notices a lost message. It does not
// always notice a dead server: after a reconnect it can keep asking about a consumer that lived on the
// killed server, for ever. So the follower keeps its own watch too: on missed heartbeats (2 s) or a
// reconnect of its connection it starts a fresh consumer after the last seq it delivered. Either way
// records come in seq order, each once, and a repeat of an earlier record is marked as one.
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { MSG_ID_HEADER, authorOfSubject } from './names';

/** One message of the room as the stream holds it. `bytes` is the relay's record, opaque here. */
export interface LogRecord {
  seq: number;
  author: string;
  msgId: number;
  /** When the stream stored it, in ms since the Unix epoch. */
  time: number;
  bytes: Uint8Array;
  /**
   * The seq at which this (author, msgId) first appeared: `seq` itself, except for a repeat, which a
   * NATS 2.9 cluster can store while a new stream leader catches up (fixed in 2.11, nats-server#6485).
   * Every relay judges a repeat alike (the earlier copy counts); 0 when that copy's seq is forgotten.
   */
  firstSeq: number;
}

/** A stream message as a record, or undefined for one that no relay of this room wrote. */
export function recordOf(room: string, m: { seq: number; subject: string; headers?: { get(k: string): string } | undefined; data: Uint8Array }, time: number): Omit<LogRecord, 'firstSeq'> | undefined {
  const author = authorOfSubject(room, m.subject);
  const msgId = Number(m.headers?.get(MSG_ID_HEADER));
  if (!author || !Number.isInteger(msgId) || msgId < 1 || msgId > 0xffffffff) return undefined;
  return { seq: m.seq, author, msgId, time, bytes: m.data };
}

/**
 * Tells repeats from first copies, the same way at every relay: an author's messages enter the stream in
 * msgId order, so one whose msgId is not past the author's last one repeats an earlier copy.
 */
export class Repeats {
  private readonly authors = new Map<string, { last: number; seqs: Map<number, number> }>();

  constructor(private readonly maxAuthors = 16_384, private readonly perAuthor = 256) {}

  firstSeq(author: string, msgId: number, seq: number): number {
    let a = this.authors.get(author);
    if (a) this.authors.delete(author); // newest used last
    else a = { last: 0, seqs: new Map() };
    this.authors.set(author, a);
    if (this.authors.size > this.maxAuthors) this.authors.delete(this.authors.keys().next().value as string);
    if (msgId <= a.last) return a.seqs.get(msgId) ?? 0;
    a.last = msgId;
    a.seqs.set(msgId, seq);
    if (a.seqs.size > this.perAuthor) a.seqs.delete(a.seqs.keys().next().value as number);
    return seq;
  }
}

const HEARTBEAT_MS = 1000;
const RESTART_MAX_MS = 5000;

export class Follower {
  private stopped = false;
  private messages: ConsumerMessages | undefined;
  /** The next seq to deliver: anything below it was delivered (or gone) already. */
  private next: number;
  private readonly repeats = new Repeats();
  /** The connection's status events; stopped with the follower (the library types it as a plain AsyncIterable). */
  private statuses: ReturnType<NatsConnection["status"]> | undefined;
  /** Resolves when the follower has stopped (dispose()). */
  readonly closed: Promise<void>;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly stream: string,
    private readonly room: string,
    fromSeq: number,
    first: ConsumerMessages,
    private readonly onRecord: (r: LogRecord) => void,
    private readonly onWarning: (e: Error) => void,
  ) {
    this.next = fromSeq;
    this.closed = this.run(first);
    void this.watchConnection();
  }

  /** Starts following; fails (a clear error) when the room's stream is not there. */
  static async start(nc: NatsConnection, js: JetStreamClient, stream: string, room: string, fromSeq: number, onRecord: (r: LogRecord) => void, onWarning: (e: Error) => void): Promise<Follower> {
    if (!Number.isInteger(fromSeq) || fromSeq < 1) throw new RangeError(`follow(${fromSeq}): a seq from 1`);
    const first = await Follower.consume(js, stream, fromSeq);
    return new Follower(nc, js, stream, room, fromSeq, first, onRecord, onWarning);
  }

  private static async consume(js: JetStreamClient, stream: string, fromSeq: number): Promise<ConsumerMessages> {
    const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq });
    return consumer.consume({ max_messages: 256, expires: 5000, idle_heartbeat: HEARTBEAT_MS });
  }

  private async run(first: ConsumerMessages): Promise<void> {
    let messages: ConsumerMessages | undefined = first;
    let failures = 0;
    while (!this.stopped) {
      try {
        messages ??= await Follower.consume(this.js, this.stream, this.next);
        this.messages = messages;
        if (this.stopped) break;
        void this.watchHeartbeats(messages);
        for await (const m of messages) {
          failures = 0;
          this.deliver(m);
        }
      } catch (e) {
        if (this.stopped) break;
        if (failures === 0) this.onWarning(new Error(`Following room ${this.room} again from seq ${this.next}: ${(e as Error).message}`));
        failures++;
      }
      messages = undefined;
      if (!this.stopped) await new Promise((r) => setTimeout(r, Math.min(RESTART_MAX_MS, 100 * 2 ** Math.min(failures, 6))));
    }
  }

  /** Ends a consumer that has gone quiet (2 missed heartbeats); run() then starts a fresh one. */
  private async watchHeartbeats(messages: ConsumerMessages): Promise<void> {
    for await (const s of messages.status()) {
      if (s.type === 'heartbeats_missed') {
        this.restart(messages);
        return;
      }
    }
  }

  /** After a reconnect the consumer may have lived on the server that went away: start a fresh one. */
  private async watchConnection(): Promise<void> {
    this.statuses = this.nc.status();
    for await (const s of this.statuses) {
      if (this.stopped) return;
      if (s.type === 'reconnect' && this.messages) this.restart(this.messages);
    }
  }

  private restart(messages: ConsumerMessages): void {
    messages.stop();
    void messages.close().catch(() => undefined); // its server may be gone: do not wait for it
  }

  private deliver(m: JsMsg): void {
    if (this.stopped || m.seq < this.next) return; // a restarted consumer may repeat what was delivered
    this.next = m.seq + 1;
    const found = recordOf(this.room, m, Number(m.timestampNanos / 1_000_000n));
    if (!found) {
      this.onWarning(new Error(`Skipped seq ${m.seq} of room ${this.room}: not a WhatsUDP record (subject ${m.subject}).`));
      return;
    }
    const r = { ...found, firstSeq: this.repeats.firstSeq(found.author, found.msgId, found.seq) };
    try {
      this.onRecord(r);
    } catch (e) {
      this.onWarning(new Error(`A record listener failed at seq ${r.seq}: ${(e as Error).message}`));
    }
  }

  /** Stops delivering at once and deletes the consumer. Safe twice. */
  async dispose(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    (this.statuses as { stop?: () => void } | undefined)?.stop?.();
    const m = this.messages;
    if (m) {
      m.stop();
      await Promise.race([m.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2000))]);
    }
    await this.closed;
  }
}
