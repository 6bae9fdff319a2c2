// What a room knows about each author's last sequenced message, and the stream of high-water marks that
// keeps it after the history ring has forgotten the author. Both only ever grow (a later msgId wins), so a
// cached copy may be old but never wrong: a refusal made from it stands, and an append made from it is
// checked by JetStream itself (the expected last sequence on the author's subject).
import { DiscardPolicy, StorageType, type JetStreamClient, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { MSG_ID_HEADER, checkRoom, decodeMark, encodeMark, laterMark, type Mark } from './names';

/** What a room knows of one author: the last record in the stream (undefined: none left in it), and the mark. */
export interface AuthorState {
  tail: Mark | undefined;
  mark: Mark | undefined;
  /** The marks stream's sequence of the author's mark, for compare-and-set (0: none yet). */
  markRevision: number;
}

const WRONG_LAST_SEQUENCE = 10071;

export const isWrongLastSequence = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === WRONG_LAST_SEQUENCE;

export const marksStream = (room: string): string => `WUDP_${checkRoom(room)}_marks`;
const markSubject = (room: string, author: string): string => `wudp.${room}.mark.${author}`;

/** The room's tail record for an author, as a mark: its msgId rides in a header beside the opaque bytes. */
export function markOfRecord(m: StoredMsg, roomId: string): Mark | undefined {
  const msgId = Number(m.header?.get(MSG_ID_HEADER));
  return Number.isInteger(msgId) && msgId > 0 ? { roomId, msgId, seq: m.seq } : undefined;
}

export class AuthorMarks {
  /** Newest used last; bounded like the relay's own de-duplication table (16,384 senders). */
  private readonly cache = new Map<string, AuthorState>();

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly room: string,
    private readonly roomId: string,
    private readonly roomStream: string,
    private readonly roomSubject: (author: string) => string,
    private readonly cacheSize = 16_384,
  ) {}

  /** The marks stream: one message per author (the newest), the oldest authors forgotten past `maxAuthors`. */
  static async ensureStream(jsm: JetStreamManager, room: string, replicas: number, maxAuthors: number): Promise<void> {
    const cfg = {
      name: marksStream(room),
      subjects: [`wudp.${room}.mark.*`],
      storage: StorageType.File,
      num_replicas: replicas,
      max_msgs_per_subject: 1,
      max_msgs: maxAuthors,
      discard: DiscardPolicy.Old,
    };
    try {
      await jsm.streams.add(cfg);
    } catch (e) {
      const info = await jsm.streams.info(cfg.name).catch(() => undefined);
      if (!info) throw e;
      if (info.config.max_msgs !== maxAuthors || info.config.num_replicas !== replicas) {
        await jsm.streams.update(cfg.name, { ...info.config, max_msgs: maxAuthors, num_replicas: replicas });
      }
    }
  }

  /** What the room knows of `author`, from the cache or (both at once) from the two streams. */
  async state(author: string): Promise<AuthorState> {
    const cached = this.cache.get(author);
    if (cached) {
      this.cache.delete(author);
      this.cache.set(author, cached);
      return cached;
    }
    const [record, mark] = await Promise.all([
      this.jsm.streams.getMessage(this.roomStream, { last_by_subj: this.roomSubject(author) }),
      this.jsm.streams.getMessage(marksStream(this.room), { last_by_subj: markSubject(this.room, author) }),
    ]);
    const state: AuthorState = {
      tail: record ? markOfRecord(record, this.roomId) : undefined,
      mark: mark ? decodeMark(new TextDecoder().decode(mark.data), this.roomId) : undefined,
      markRevision: mark?.seq ?? 0,
    };
    this.remember(author, state);
    return state;
  }

  /** Someone else appended for this author: read both again next time. */
  forget(author: string): void {
    this.cache.delete(author);
  }

  /** This relay just appended `mark` as the author's newest record. */
  appended(author: string, mark: Mark): void {
    const s = this.cache.get(author);
    if (s) s.tail = laterMark(s.tail, mark);
  }

  /**
   * Raises the author's mark to `mark` unless it is already that high: compare-and-set on the marks stream,
   * so two relays raising one author's mark at once end with the higher of the two.
   */
  async raise(author: string, mark: Mark): Promise<void> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const s = await this.state(author);
      if (s.mark && s.mark.msgId >= mark.msgId) return;
      const h = headers();
      h.set(MSG_ID_HEADER, String(mark.msgId));
      try {
        const ack = await this.js.publish(markSubject(this.room, author), encodeMark(mark), {
          headers: h,
          expect: { lastSubjectSequence: s.markRevision },
        });
        const now = this.cache.get(author);
        if (now) {
          now.mark = mark;
          now.markRevision = ack.seq;
        }
        return;
      } catch (e) {
        if (!isWrongLastSequence(e)) throw e;
        this.forget(author); // another relay raised it first: compare again with what it wrote
      }
    }
    throw new Error(`the mark of ${author} kept changing under 8 tries`);
  }

  private remember(author: string, state: AuthorState): void {
    this.cache.set(author, state);
    if (this.cache.size > this.cacheSize) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}
