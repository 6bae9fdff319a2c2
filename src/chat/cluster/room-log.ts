// A room's message log in JetStream: one stream per room, whose sequence is the room's seq. The relay
// appends a member's message here (that is where it gets its seq, exactly once across all relays), reads
// ranges back for gap repair and backfill, and follows the stream from a seq to fan messages out over UDP.
// The bytes are the relay's message record, opaque here (a sealed room stores ciphertext).
import { randomBytes } from 'node:crypto';
import { DiscardPolicy, StorageType, type StreamConfig, type StreamInfo } from '@nats-io/jetstream';
import { headers, nanos } from '@nats-io/transport-node';
import { TypedEmitter } from '../emitter';
import type { Cluster } from './connect';
import { AuthorMarks, isWrongLastSequence, type AuthorState } from './marks';
import { MSG_ID_HEADER, authorSubject, checkAuthor, checkMsgId, dedupeId, describeRoom, laterMark, roomIdOf, roomSubjects, streamName } from './names';
import { Follower, Repeats, recordOf, type LogRecord } from './follower';

export type { LogRecord } from './follower';
export { Follower } from './follower';

export interface RoomLogOptions {
  /** The room's name in the cluster (1-32 of A-Z a-z 0-9 - _); every relay of the room uses the same. */
  room: string;
  /** 1, or 3 so that the room survives a server's death (the NATS cluster needs 3 servers for it). */
  replicas?: 1 | 3;
  /** The history ring: the stream's max_msgs and max_bytes (the relay's --history and --history-bytes). */
  historyMessages: number;
  historyBytes: number;
  /** JetStream's duplicate window for (author, msgId); the marks cover what is older. Default 2 minutes. */
  duplicateWindowMs?: number;
  /** Authors whose last msgId the room remembers after the ring forgot them. Default 65,536. */
  maxAuthors?: number;
}

/** What an append did. `stale`: the author already has a later message in the room, so this one is refused. */
export type AppendResult =
  | { kind: 'sequenced'; seq: number }
  | { kind: 'duplicate'; seq: number }
  | { kind: 'stale'; lastMsgId: number; lastSeq: number };

/** A timeout, no responders, or JetStream saying it is briefly unavailable: a leader is being elected. */
function isTransient(e: unknown): boolean {
  const err = e as { name?: string; code?: unknown; status?: unknown } | null;
  return ['TimeoutError', 'NoRespondersError', 'JetStreamNotEnabled', 'RequestError'].includes(err?.name ?? '') || err?.code === 10008 || err?.status === 503;
}

export interface ReadResult {
  /** The records of the range that the stream still holds, in seq order. */
  records: LogRecord[];
  /** The part of the range the ring has already dropped (the relay answers Gone for it). */
  gone?: { fromSeq: number; toSeq: number };
  /** The room's newest seq (0: none yet); a range past it is not gone, it has not happened. */
  headSeq: number;
}

export interface LogState {
  roomId: string;
  /** Oldest seq still held (headSeq + 1 when empty), newest seq (0 when none yet). */
  firstSeq: number;
  headSeq: number;
  messages: number;
  bytes: number;
}

/** How many seqs one read may ask for; the relay asks for at most 64 (Resend) or 200 (backfill). */
export const MAX_READ = 1024;
const READ_AT_ONCE = 64;
/** How long an append keeps trying through timeouts and leader elections (a 3-server election takes seconds). */
const APPEND_RETRY_MS = 15_000;

interface RoomLogEvents {
  warning: [error: Error];
}

export class RoomLog extends TypedEmitter<RoomLogEvents> {
  private readonly stream: string;
  private readonly marks: AuthorMarks;
  /** One append at a time per author in this relay, so its own appends never race each other. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly followers = new Set<Follower>();

  private constructor(private readonly cluster: Cluster, readonly room: string, readonly roomId: string) {
    super();
    this.stream = streamName(room);
    this.marks = new AuthorMarks(cluster.jsm, cluster.js, room, roomId, this.stream, (a) => authorSubject(room, a));
  }

  /**
   * Opens the room's stream, creating it if no relay has yet. The first relay's random roomId is kept in the
   * stream's description, so every relay hands members the same roomId. Changed limits are applied.
   */
  static async open(cluster: Cluster, opts: RoomLogOptions): Promise<RoomLog> {
    const replicas = opts.replicas ?? 1;
    const cfg: Partial<StreamConfig> & { name: string } = {
      name: streamName(opts.room),
      subjects: [roomSubjects(opts.room)],
      description: describeRoom(randomBytes(8).toString('hex')),
      storage: StorageType.File,
      num_replicas: replicas,
      max_msgs: opts.historyMessages,
      max_bytes: opts.historyBytes,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(opts.duplicateWindowMs ?? 120_000),
    };
    let info: StreamInfo;
    try {
      info = await cluster.jsm.streams.add(cfg);
    } catch (e) {
      // Already there (another relay made it, with its own roomId): join it.
      const existing = await cluster.jsm.streams.info(cfg.name).catch(() => undefined);
      if (!existing) throw e;
      info = existing;
      const c = info.config;
      if (c.max_msgs !== cfg.max_msgs || c.max_bytes !== cfg.max_bytes || c.num_replicas !== replicas || c.duplicate_window !== cfg.duplicate_window) {
        info = await cluster.jsm.streams.update(cfg.name, { ...c, max_msgs: cfg.max_msgs, max_bytes: cfg.max_bytes, num_replicas: replicas, duplicate_window: cfg.duplicate_window });
      }
    }
    const roomId = roomIdOf(info.config.description);
    if (!roomId) throw new Error(`The NATS stream ${cfg.name} is not a WhatsUDP room (its description is ${JSON.stringify(info.config.description ?? '')}).`);
    await AuthorMarks.ensureStream(cluster.jsm, opts.room, replicas, opts.maxAuthors ?? 65_536);
    return new RoomLog(cluster, opts.room, roomId);
  }

  /**
   * Gives (author, msgId) its seq, once across every relay: JetStream's duplicate window answers a
   * retransmission with the seq it already has, the expected last sequence on the author's own subject
   * makes two relays' appends for one author take turns, and an msgId at or below the author's last
   * sequenced one is refused (`stale`, or `duplicate` with its seq), however late it comes.
   * One exception, NATS 2.9's and not ours: while a new stream leader of a 3-replica room catches up, it
   * can take a second copy (nats-server#6485, fixed in 2.11). Followers mark it (`firstSeq`), alike at
   * every relay, and the seq returned here may be that copy's: a relay acknowledges from its follower.
   */
  append(author: string, msgId: number, bytes: Uint8Array): Promise<AppendResult> {
    checkAuthor(author);
    checkMsgId(msgId);
    const before = this.queues.get(author) ?? Promise.resolve();
    const run = before.then(() => this.appendNow(author, msgId, bytes));
    const settled = run.catch(() => undefined);
    this.queues.set(author, settled);
    void settled.then(() => {
      if (this.queues.get(author) === settled) this.queues.delete(author);
    });
    return run;
  }

  private async appendNow(author: string, msgId: number, bytes: Uint8Array): Promise<AppendResult> {
    const giveUpAt = Date.now() + APPEND_RETRY_MS;
    const wait = (attempt: number) => new Promise((r) => setTimeout(r, Math.min(2000, 100 * attempt)));
    for (let attempt = 1; ; attempt++) {
      let state: AuthorState;
      try {
        state = await this.marks.state(author);
      } catch (e) {
        // The author's state is read from the stream too, whose leader may be being elected: tried again
        // within the same time as a publish.
        this.marks.forget(author);
        if (isTransient(e) && Date.now() < giveUpAt) {
          await wait(attempt);
          continue;
        }
        throw e;
      }
      const last = laterMark(state.tail, state.mark);
      if (last && msgId <= last.msgId) {
        return msgId === last.msgId ? { kind: 'duplicate', seq: last.seq } : { kind: 'stale', lastMsgId: last.msgId, lastSeq: last.seq };
      }
      const h = headers();
      h.set(MSG_ID_HEADER, String(msgId));
      let ack;
      try {
        ack = await this.cluster.js.publish(authorSubject(this.room, author), bytes, {
          headers: h,
          msgID: dedupeId(author, msgId),
          expect: { lastSubjectSequence: state.tail?.seq ?? 0 },
        });
      } catch (e) {
        // Another relay appended for this author, or the stream is electing a leader (the publish may
        // have landed): either way, read the author's state again before trying.
        this.marks.forget(author);
        if (isWrongLastSequence(e) && attempt < 16) continue;
        if (isTransient(e) && Date.now() < giveUpAt) {
          await wait(attempt);
          continue;
        }
        throw e;
      }
      const mark = { roomId: this.roomId, msgId, seq: ack.seq };
      if (!ack.duplicate) this.marks.appended(author, mark);
      else this.marks.forget(author);
      // The seq is given; a mark that fails to rise now rises with the author's next append (which reads
      // the tail from the stream), so it is a warning, not a failed append.
      await this.marks.raise(author, mark).catch((e: Error) => this.emit('warning', new Error(`Cannot record the last msgId of ${author}: ${e.message}`)));
      return ack.duplicate ? { kind: 'duplicate', seq: ack.seq } : { kind: 'sequenced', seq: ack.seq };
    }
  }

  /** The records of [fromSeq, toSeq] that the ring still holds, for gap repair and backfill. */
  async read(fromSeq: number, toSeq: number): Promise<ReadResult> {
    if (!Number.isInteger(fromSeq) || !Number.isInteger(toSeq) || fromSeq < 1 || toSeq < fromSeq || toSeq - fromSeq >= MAX_READ) {
      throw new RangeError(`read(${fromSeq}, ${toSeq}): a range of 1 to ${MAX_READ} seqs from 1`);
    }
    const stateNow = this.state();
    const found: LogRecord[] = [];
    const repeats = new Repeats(); // a read judges repeats within its own range only
    for (let lo = fromSeq; lo <= toSeq; lo += READ_AT_ONCE) {
      const seqs = Array.from({ length: Math.min(READ_AT_ONCE, toSeq - lo + 1) }, (_, i) => lo + i);
      const msgs = await Promise.all(seqs.map((seq) => this.cluster.jsm.streams.getMessage(this.stream, { seq })));
      for (const m of msgs) {
        const r = m ? recordOf(this.room, { seq: m.seq, subject: m.subject, headers: m.header, data: m.data }, m.time.getTime()) : undefined;
        if (r) found.push({ ...r, firstSeq: repeats.firstSeq(r.author, r.msgId, r.seq) });
      }
    }
    const { firstSeq, headSeq } = await stateNow;
    // The ring drops from its old end, so whatever is missing below the oldest found record (or below the
    // oldest the stream holds) is gone; a seq past the head simply has not happened yet.
    const goneTo = Math.min(toSeq, headSeq, (found[0]?.seq ?? Math.max(firstSeq, headSeq + 1)) - 1);
    return { records: found, headSeq, ...(goneTo >= fromSeq ? { gone: { fromSeq, toSeq: goneTo } } : {}) };
  }

  async state(): Promise<LogState> {
    const s = (await this.cluster.jsm.streams.info(this.stream)).state;
    return { roomId: this.roomId, firstSeq: s.first_seq, headSeq: s.last_seq, messages: s.messages, bytes: s.bytes };
  }

  /**
   * Delivers every record from `fromSeq` on, in seq order, each once, as it is appended by any relay (an
   * ordered consumer: on a lost message or a server change it starts again after the last delivered seq).
   * A first record past `fromSeq` means the ones between were gone already.
   */
  async follow(fromSeq: number, onRecord: (r: LogRecord) => void): Promise<Follower> {
    const f = await Follower.start(this.cluster.nc, this.cluster.js, this.stream, this.room, fromSeq, onRecord, (e) => this.emit('warning', e));
    this.followers.add(f);
    void f.closed.then(() => this.followers.delete(f));
    return f;
  }

  /** Stops the followers; the connection is the Cluster's to close. Safe twice. */
  async dispose(): Promise<void> {
    await Promise.all([...this.followers].map((f) => f.dispose()));
    this.removeAllListeners();
  }
}
