// A member of the room: joins (with the relay's address check), sends reliably, delivers the room's
// messages in order exactly once, keeps its lease with heartbeats, and rejoins by itself when the
// relay comes back. This is what the extension and the CLI hold: the messages a user sends and
// waits for, and the events they see. The protocol itself runs in its Link.
import { randomBytes } from 'node:crypto';
import type { ProtocolError } from '../../protocol/codec';
import { textBytes } from '../../protocol/fragments';
import { actionProblem, fileInfoProblem, textProblem, type FileBody, type FileInfo } from '../../common/message';
import type { FileTransfer, TransferOptions } from '../transfer/base';
import type { FileToSend } from '../transfer/transfers';
import type { SendableBody } from '../../protocol/packets';
import { TypedEmitter } from '../emitter';
import { ChatError } from '../errors';
import { CLIENT_TIMERS } from '../limits';
import type { ClientEvents, ClientOptions, ConnectionState, Member, OutgoingMessage, RoomInfo } from '../types';
import { checkName, nameProblem } from '../validate';
import { Link } from './link';
import type { RoomSeal } from './room-seal';
import { roomOf } from './rooms';
import { newOutgoing } from './outbox';

export class ChatClient extends TypedEmitter<ClientEvents> {
  readonly clientId: string;
  /** The room this client joins (ClientOptions.room; the relay's default room, 'main', if none). */
  readonly room: string;
  private readonly id: Buffer;
  private readonly link: Link;
  private myName: string;
  private nextId: number;
  private flushWaiters: (() => void)[] = [];

  constructor(opts: ClientOptions) {
    super();
    this.myName = checkName(opts.name);
    this.room = roomOf(opts);
    if (opts.clientId !== undefined && !/^[0-9a-f]{16}$/.test(opts.clientId)) throw new ChatError('BAD_OPTION', 'A client id is 16 hex digits.');
    this.clientId = opts.clientId ?? randomBytes(8).toString('hex');
    this.id = Buffer.from(this.clientId, 'hex');
    this.link = new Link(this.id, opts, { ...CLIENT_TIMERS, ...opts.timers }, {
      emit: (event, ...args) => this.emit(event, ...args),
      name: () => this.myName,
      nextMsgId: () => this.nextId,
      settled: () => this.settleFlush(),
      giveUp: () => void this.close({ leave: false }),
    });
    this.nextId = opts.firstMsgId ?? 1;
    for (const r of opts.restore ?? []) {
      this.link.outbox.add(this.id, newOutgoing(r.msgId, r.body, r.createdAt));
      this.nextId = Math.max(this.nextId, r.msgId + 1);
    }
  }

  get name(): string {
    return this.myName;
  }

  get connection(): ConnectionState {
    return this.link.join.connection;
  }

  get members(): Member[] {
    return this.link.roster?.list ?? [];
  }

  /** A sealed room's keys by epoch, once started (rotation.ts); undefined for an open room. */
  get roomSeal(): RoomSeal | undefined {
    return this.link.roomSeal;
  }

  /** Retransmissions so far (for benchmarks and the log). */
  get retransmits(): number {
    return this.link.outbox.retransmits;
  }

  /** Datagrams from the relay's address that did not open under the session (forged, tampered,
   * replayed): dropped, never acted on. */
  get unauthenticated(): number {
    return this.link.unauthenticated;
  }

  /** The relays (HOST:PORT) this client may be on (issue 15): the one it is on or joining first, then
   * those it moves to, in order, if that one goes silent: ClientOptions.servers and the relays named
   * by the relay it joined. */
  get relays(): string[] {
    return this.link.relays();
  }

  resumePoint(): { roomId: string; lastSeq: number } | undefined {
    return this.link.resumePoint();
  }

  nextMsgId(): number {
    return this.nextId;
  }

  /** Joins the room. Rejects with ChatError UNREACHABLE if no relay answers in joinTimeoutMs. */
  async start(): Promise<void> {
    if (this.link.join.phase !== 'idle') throw new ChatError('BAD_OPTION', 'This client was already started.');
    return this.link.open();
  }

  send(body: SendableBody): OutgoingMessage {
    if (this.link.join.phase === 'closed') throw new ChatError('CLOSED', 'This chat client is closed.');
    // A reaction and a delete have no text of their own; what they refer to and a reaction's emoji are checked here.
    // A file's caption may be empty; the file itself is checked when its message is encoded.
    const problem = body.kind === 'reaction' || body.kind === 'delete' || body.kind === 'file' ? undefined : textProblem(body.text);
    if (problem) throw new ChatError(problem.code, problem.message);
    const action = body.kind === 'file' ? fileInfoProblem(body.file) : actionProblem(body);
    if (action) throw new ChatError('BAD_OPTION', body.kind === 'file' ? `This file cannot be sent (${action}).` : action);
    const out = newOutgoing(this.nextId, body, Date.now());
    try {
      textBytes(body);
      this.link.checkContent(body);
      this.link.outbox.add(this.id, out);
    } catch (err) {
      throw new ChatError('TOO_LARGE', (err as ProtocolError).message);
    }
    this.nextId = (this.nextId + 1) >>> 0 || 1;
    this.emit('delivery', { ...out });
    if (this.link.join.phase === 'joined') this.link.pump();
    return out;
  }

  pending(): OutgoingMessage[] {
    return this.link.outbox.pending().map((o) => ({ ...o }));
  }

  retry(msgId: number): OutgoingMessage | undefined {
    const old = this.link.outbox.get(msgId);
    if (!old || old.state !== 'failed') return undefined;
    this.link.outbox.remove(msgId);
    return this.send(old.body);
  }

  /** The person is typing (passed on at most once a second, only while joined; never queued). */
  typing(): void {
    this.link.typing();
  }

  /** Sends a file (issue 14): sealed under a fresh key, uploaded to the relay (through outages and
   * relay restarts, resuming with what it lacks), then named by a kind-15 message; `done` resolves
   * with that message (its delivery is told in 'delivery' events as any other's). Throws TOO_LARGE
   * over 16 MiB (both sizes said) and BAD_OPTION for a name or type that cannot be sent. */
  sendFile(file: FileToSend, opts: TransferOptions = {}): FileTransfer<OutgoingMessage> {
    if (this.link.join.phase === 'closed') throw new ChatError('CLOSED', 'This chat client is closed.');
    const body = (info: FileInfo): FileBody => ({ kind: 'file', text: file.caption ?? '', file: info });
    const check = (info: FileInfo): void => {
      const problem = fileInfoProblem(info);
      if (problem) throw new ChatError('BAD_OPTION', `${file.name} cannot be sent (${problem}).`);
      try {
        textBytes(body(info));
        this.link.checkContent(body(info));
      } catch (err) {
        throw new ChatError('TOO_LARGE', (err as ProtocolError).message);
      }
    };
    return this.link.files.upload(file, opts, check, (info) => this.send(body(info)));
  }

  /** Fetches a file a kind-15 message named: its chunks checked with its key, the whole with its
   * SHA-256. Rejects FILE_GONE (the relay no longer has it), CORRUPT (altered: nothing is returned),
   * CANCELLED (cancel() or the signal), CLOSED. */
  fetchFile(file: FileInfo, opts: TransferOptions = {}): FileTransfer<Buffer> {
    if (this.link.join.phase === 'closed') throw new ChatError('CLOSED', 'This chat client is closed.');
    const problem = fileInfoProblem(file);
    if (problem) throw new ChatError('BAD_OPTION', `This file cannot be fetched (${problem}).`);
    return this.link.files.download(file, opts);
  }

  /** The person has seen the room up to `seq` (shown on screen, not merely received). */
  seen(seq: number): void {
    this.link.seen(seq);
  }

  /** The relay's rooms (issue 11): every open and sealed room, and a DM room only if this device is one
   * of its two. Rejects (UNREACHABLE) when the relay does not answer within a few seconds, as an older
   * relay that serves a single room does not; CLOSED once closed. */
  rooms(): Promise<RoomInfo[]> {
    if (this.link.join.phase === 'closed') return Promise.reject(new ChatError('CLOSED', 'This chat client is closed.'));
    return this.link.queries.listRooms();
  }

  /** A device's X25519 key (for a DM with it), as the relay last saw it in that device's Hello, its
   * certificate checked here; undefined when the relay has not seen that device. */
  deviceKeyOf(key: Uint8Array): Promise<{ x25519: Uint8Array } | undefined> {
    if (this.link.join.phase === 'closed') return Promise.reject(new ChatError('CLOSED', 'This chat client is closed.'));
    return this.link.queries.keyOf(key);
  }

  /** Joins again under a new name. Rejects (BAD_OPTION) a name the relay would refuse. */
  rename(name: string): Promise<void> {
    const problem = nameProblem(name);
    if (problem) return Promise.reject(new ChatError('BAD_OPTION', problem));
    this.myName = name;
    this.link.rejoin();
    return Promise.resolve();
  }

  /** Waits until every message is delivered (or failed), at most `timeoutMs`; returns the undelivered. */
  async flush(timeoutMs: number): Promise<OutgoingMessage[]> {
    if (this.link.outbox.busy) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.flushWaiters.push(done);
      });
    }
    return this.pending();
  }

  /** Leaves (unless `leave: false`) and closes the socket; safe twice. */
  async close(opts: { leave?: boolean } = {}): Promise<void> {
    if (this.link.join.phase === 'closed') return;
    const closing = this.link.close(opts.leave !== false);
    for (const w of this.flushWaiters.splice(0)) w();
    await closing;
    this.removeAllListeners();
  }

  private settleFlush(): void {
    if (!this.link.outbox.busy) for (const w of this.flushWaiters.splice(0)) w();
  }
}
