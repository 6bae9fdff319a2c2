// Following a room's stream from a seq: an ordered consumer (ephemeral, in memory, flow-controlled by
// pulls), which the client library recreates after the last delivered seq whenever it notices a lost
// message, a missed heartbeat or a server that went away. So records come in seq order, each once.
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { MSG_ID_HEADER, authorOfSubject } from './names';

/** One message of the room as the stream holds it. `bytes` is the relay's record, opaque here. */
export interface LogRecord {
  seq: number;
  author: string;
  msgId: number;
  /** When the stream stored it, in ms since the Unix epoch. */
  time: number;
  bytes: Uint8Array;
}

/** A stream message as a record, or undefined for one that no relay of this room wrote. */
export function recordOf(room: string, m: { seq: number; subject: string; headers?: { get(k: string): string } | undefined; data: Uint8Array }, time: number): LogRecord | undefined {
  const author = authorOfSubject(room, m.subject);
  const msgId = Number(m.headers?.get(MSG_ID_HEADER));
  if (!author || !Number.isInteger(msgId) || msgId < 1 || msgId > 0xffffffff) return undefined;
  return { seq: m.seq, author, msgId, time, bytes: m.data };
}

export class Follower {
  private stopped = false;
  /** Resolves when the follower has stopped, by dispose() or because the stream went away. */
  readonly closed: Promise<void>;

  private constructor(private readonly messages: ConsumerMessages, room: string, onRecord: (r: LogRecord) => void, onWarning: (e: Error) => void) {
    this.closed = (async () => {
      try {
        for await (const m of messages) this.deliver(room, m, onRecord, onWarning);
      } catch (e) {
        if (!this.stopped) onWarning(new Error(`Stopped following room ${room}: ${(e as Error).message}`));
      }
    })();
  }

  static async start(js: JetStreamClient, stream: string, room: string, fromSeq: number, onRecord: (r: LogRecord) => void, onWarning: (e: Error) => void): Promise<Follower> {
    if (!Number.isInteger(fromSeq) || fromSeq < 1) throw new RangeError(`follow(${fromSeq}): a seq from 1`);
    const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq });
    const messages = await consumer.consume({ max_messages: 256 });
    return new Follower(messages, room, onRecord, onWarning);
  }

  private deliver(room: string, m: JsMsg, onRecord: (r: LogRecord) => void, onWarning: (e: Error) => void): void {
    if (this.stopped) return;
    const r = recordOf(room, m, Number(m.timestampNanos / 1_000_000n));
    if (!r) {
      onWarning(new Error(`Skipped seq ${m.seq} of room ${room}: not a WhatsUDP record (subject ${m.subject}).`));
      return;
    }
    try {
      onRecord(r);
    } catch (e) {
      onWarning(new Error(`A record listener failed at seq ${r.seq}: ${(e as Error).message}`));
    }
  }

  /** Stops delivering at once and deletes the consumer. Safe twice. */
  async dispose(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.messages.close().catch(() => undefined);
    await this.closed;
  }
}
