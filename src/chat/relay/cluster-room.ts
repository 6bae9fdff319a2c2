// A room kept in NATS JetStream (issue 15, docs/CLUSTER.md): the relay's side of the cluster. Its members'
// messages are appended to the room's stream, which gives each its seq once across every relay; what the
// relay follows from the stream (its own members' messages and every other relay's) is adopted into the
// room's history ring and fanned out to its members as if sequenced here, so repair and backfill read the
// ring as they do in a relay of its own. The stream's record is the store's record (store/record.ts) with
// seq 1 and time 0 as placeholders (a store record never has seq 0): the stream's seq and time are the
// message's. Only types come from ../cluster here:
// the NATS client is in its own bundle, loaded by loadCluster() only when a relay is clustered.
import { createHash } from 'node:crypto';
import type { MessageHead } from '../../protocol/packets';
import { ChatError } from '../errors';
import type { AppendResult, Cluster, Follower, LogRecord, RoomLog, RoomPresence } from '../cluster/index';
import type { ClusterModule } from '../cluster/load';
import type { Room } from './room';
import { SequencedMessage, ZERO_ID, type Sender } from './sequenced';
import { encodeRecord, scanRecord } from './store/record';
import type { SharedActivity } from './activity';

/** How long a relay waits at start to read a room's recent history back from its stream. */
const CATCH_UP_MS = 30_000;
const STREAM_SAFE = /^[a-z0-9_-]{1,32}$/;
/** Appends a room may have waiting for NATS at once; more are refused (their senders told) until it answers. */
const MAX_IN_FLIGHT = 1024;

/** The room's name in the cluster (a NATS stream name allows fewer characters than a room's name): the
 * name itself when it can be one, else `x` and 31 hex of its SHA-256. */
export function clusterRoomName(name: string): string {
  return STREAM_SAFE.test(name) ? name : `x${createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 31)}`;
}

function decodeActivity(text: string, self: string): SharedActivity | undefined {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (o.f === self || typeof o.c !== 'string' || !/^[0-9a-f]{16}$/.test(o.c)) return undefined;
    if (o.s !== undefined && (typeof o.s !== 'number' || !Number.isInteger(o.s) || o.s < 0 || o.s > 0xffffffff)) return undefined;
    return { clientId: Buffer.from(o.c, 'hex'), ...(typeof o.s === 'number' ? { seq: o.s } : {}) };
  } catch {
    return undefined;
  }
}

export interface ClusterRoomOptions {
  replicas: 1 | 3;
  historyMessages: number;
  historyBytes: number;
  /** This relay in the room's shared presence (its key, base64url). */
  relayId: string;
  presenceTtlMs?: number;
}

export class ClusterRoom {
  /** Where followed messages go: into the room until a RoomHost attaches, then its fan-out. */
  private sink: (s: SequencedMessage) => void;
  private follower: Follower | undefined;
  /** Who is in the room on every relay (cluster-roster.ts writes this relay's members to it). */
  presence: RoomPresence | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** (author, msgId) of the appends waiting for NATS. */
  private readonly inFlight = new Set<string>();

  private unsubscribe: () => void = () => undefined;
  private readonly activitySubject: string;

  private constructor(
    private readonly cluster: Cluster,
    readonly log: RoomLog,
    readonly relayId: string,
    private readonly room: Room,
    private readonly warn: (message: string) => void,
  ) {
    this.sink = (s) => void room.adopt(s);
    this.activitySubject = `wudp.${log.room}.activity`;
    log.on('warning', (e) => warn(`room ${room.roomId.toString(16)}: ${e.message}`));
  }

  /**
   * Opens the room's stream (made by the first relay), takes its roomId, and reads its recent history
   * into `room` (the ring holds what the stream holds) before the relay answers any member of the room.
   */
  static async open(api: ClusterModule, cluster: Cluster, name: string, room: Room, o: ClusterRoomOptions, warn: (message: string) => void): Promise<ClusterRoom> {
    const log = await api.RoomLog.open(cluster, { room: clusterRoomName(name), replicas: o.replicas, historyMessages: o.historyMessages, historyBytes: o.historyBytes });
    room.roomId = BigInt(`0x${log.roomId}`);
    const cr = new ClusterRoom(cluster, log, o.relayId, room, warn);
    try {
      cr.presence = await api.RoomPresence.open(cluster, { room: clusterRoomName(name), relayId: o.relayId, ttlMs: o.presenceTtlMs, replicas: o.replicas });
      const state = await log.state();
      const from = Math.max(1, state.firstSeq, state.headSeq - o.historyMessages + 1);
      let caughtUp: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (caughtUp = resolve));
      cr.follower = await log.follow(from, (r) => {
        cr.onRecord(r);
        if (r.seq >= state.headSeq) caughtUp();
      });
      if (state.headSeq >= from) {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ChatError('UNREACHABLE', `The room ${name}'s history did not come back from NATS within ${CATCH_UP_MS / 1000} s.`)), CATCH_UP_MS);
        });
        await Promise.race([done, late]).finally(() => clearTimeout(timer));
      }
    } catch (err) {
      await cr.close();
      throw err;
    }
    return cr;
  }

  /** Typing and seen, between this room's relays (core NATS: ephemeral, as on one relay; one missed is
   * one indicator less). `from` is each relay's id, so a relay does not hear itself. */
  shareActivity(act: SharedActivity): void {
    if (this.closed) return;
    this.cluster.nc.publish(this.activitySubject, JSON.stringify({ f: this.relayId, c: act.clientId.toString('hex'), ...(act.seq !== undefined ? { s: act.seq } : {}) }));
  }

  /** The other relays' typing and seen for this room, each given to `tell`. */
  onActivity(tell: (act: SharedActivity) => void): void {
    const sub = this.cluster.nc.subscribe(this.activitySubject, {
      callback: (err, msg) => {
        if (err || this.closed) return;
        const act = decodeActivity(msg.string(), this.relayId);
        if (act) tell(act);
      },
    });
    this.unsubscribe = () => sub.unsubscribe();
  }

  /** From now on, followed messages go to `deliver` (the RoomHost adopts and fans them out). */
  attach(deliver: (s: SequencedMessage) => void): void {
    this.sink = deliver;
  }

  /**
   * Appends a member's message; its seq (and the sender's acknowledgement) arrives with the fan-out.
   * `busy` when that message is being appended already (a retransmission while NATS is slow: it is not
   * queued twice), or when the room has MAX_IN_FLIGHT appends waiting (NATS is away: refuse, do not pile up).
   */
  append(sender: Sender, msgId: number, head: MessageHead, text: Buffer, now: number): Promise<AppendResult> | 'busy' | 'full' {
    const id = `${sender.hex}:${msgId}`;
    if (this.inFlight.has(id)) return 'busy';
    if (this.inFlight.size >= MAX_IN_FLIGHT) return 'full';
    const body = new SequencedMessage(0, now, sender, false, msgId, head, text).storedBody();
    const record = encodeRecord({ seq: 1, time: 0, senderId: sender.hex, legacy: false, name: sender.name, msgId, body, ...(head.auth ? { auth: head.auth } : {}) });
    this.inFlight.add(id);
    return this.log.append(sender.hex, msgId, record).finally(() => this.inFlight.delete(id));
  }

  /** A record of the stream, in seq order: the message it holds, or a warning (the seq stays a gap,
   * which members are told is gone when they ask for it). */
  private onRecord(r: LogRecord): void {
    if (this.closed) return;
    const scan = scanRecord(Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength), 0, true);
    const m = scan !== 'more' && scan.kind === 'record' ? scan.message : undefined;
    if (!m || m.senderId !== r.author || m.msgId !== r.msgId || m.legacy) {
      this.warn(`Skipped seq ${r.seq} of the cluster's room: its record is not a member's message.`);
      return;
    }
    const sender: Sender = { hex: m.senderId, clientId: m.senderId.length === 16 ? Buffer.from(m.senderId, 'hex') : ZERO_ID, name: m.name };
    this.sink(SequencedMessage.fromBody(r.seq, r.time, sender, false, m.msgId, m.body, m.auth));
  }

  /** Stops following; the same promise to every caller. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.unsubscribe();
      this.presence?.dispose();
      await this.follower?.dispose().catch(() => undefined);
      await this.log.dispose().catch(() => undefined);
    })();
    return this.closing;
  }
}
