// One room `whatsudp chat` is in (issue 11: a chat may be in several, one ChatClient each): its
// messages on stdout, its joins, leaves and problems on stderr, and what of its own it still has to
// deliver. A room other than the current one prefixes every line with "[ROOM] " (or "[dm NAME] ").
import path from 'node:path';
import { ChatClient, type ClientOptions, type OutgoingMessage, type RoomMessage } from '../chat';
import { formatAddress } from '../chat';
import { conflictText, FileStore, NameWatch } from '../chat/identity';
import type { Keyring } from '../chat/identity/keyring';
import { isAction, type FileInfo } from '../common/message';
import { Thread } from '../common/thread';
import { nodeCrypto } from '../protocol/crypto';
import type { ChatArgs } from './args';
import { escapeName, firstLine, formatAction, formatMessage, jsonLine, messageJson, replyLine } from './format';
import { sleep, type Io } from './session';

// A chat that runs for weeks sees many files; /get reaches this many of the newest.
const MAX_FILES_KEPT = 10_000;

/** Which room, and how to get in: what ClientOptions the room adds to the chat's own. */
export interface RoomSpec {
  room: string;
  /** A direct message: the other member's name, as /dm was given it. */
  peer?: string;
  create?: boolean;
  roomSecret?: Uint8Array;
  relayFingerprints?: string[];
  dmKeys?: [Uint8Array, Uint8Array];
}

/** What a room asks of the chat it is in. */
export interface RoomHost {
  /** The room lines go to now. */
  isCurrent(room: JoinedRoom): boolean;
  /** The chat is ending: no more output about connections. */
  over(): boolean;
  /** A warning that ends the chat (the relay's key changed): handled once, by the chat. */
  fatal(err: Error): boolean;
  /** (issue 11) Someone opened a DM with this device: whether it is news to this chat (each joined
   * room's client hears of it); the chat keeps who, for /dm NAME. */
  dmNews(dm: { room: string; name: string; key: string }): boolean;
}

export class JoinedRoom {
  readonly client: ChatClient;
  /** Seq of the newest message printed, and of the newest own message acknowledged. */
  printedSeq = 0;
  ownSeq = 0;
  /** The newest seq printed while this was the current room: what /rooms counts unread from. */
  looked = 0;
  private readonly failed = new Map<number, OutgoingMessage>();
  private readonly reported = new Set<number>();
  private joinedOnce = false;
  // What replies, reactions, edits and deletes refer to, as this reader has it (common/thread.ts).
  private readonly thread = new Thread();
  // The file messages this chat has seen here, by seq: what /get SEQ fetches (the newest kept).
  private readonly files = new Map<number, FileInfo>();

  constructor(
    private readonly args: ChatArgs,
    readonly spec: RoomSpec,
    private readonly io: Io,
    private readonly host: RoomHost,
    keyring?: Keyring,
  ) {
    const { room, create, roomSecret, relayFingerprints, dmKeys } = spec;
    // The default room goes without a room extension: a relay from before rooms lets it in as before.
    const roomOpts: Partial<ClientOptions> = { ...(room !== 'main' ? { room } : {}), ...(create ? { create } : {}), ...(roomSecret ? { roomSecret } : {}), ...(relayFingerprints ? { relayFingerprints } : {}), ...(dmKeys ? { dmKeys } : {}) };
    this.client = new ChatClient({
      server: args.server,
      servers: args.servers, // failover (issue 15): --server's others, an invite's other relays
      name: args.name,
      timers: { joinTimeoutMs: args.joinTimeoutMs },
      identityStore: new FileStore(args.identity),
      relayPins: new FileStore(path.join(path.dirname(args.identity), 'known_relays')),
      acceptRelayKey: args.acceptRelayKey,
      ...(keyring ? { keyring } : {}),
      ...roomOpts,
    });
    this.listen();
  }

  get name(): string {
    return this.spec.room;
  }

  /** "[design] " for a room other than the current one; "" for the current one. */
  private prefix(): string {
    return this.host.isCurrent(this) ? '' : `[${escapeName(this.label)}] `;
  }

  private out(text: string): void {
    const p = this.prefix();
    this.io.out(p ? text.split('\n').map((l) => p + l).join('\n') : text);
  }

  /** A line about this room on stderr (its joins, leaves, problems), prefixed as its messages are. */
  note(text: string): void {
    if (!this.host.over()) this.io.err(this.prefix() + text);
  }

  private show(msg: RoomMessage, backfill: boolean): void {
    this.printedSeq = Math.max(this.printedSeq, msg.seq);
    if (this.host.isCurrent(this)) this.looked = this.printedSeq;
    const change = this.thread.add({ seq: msg.seq, sender: msg.sender, verified: msg.verified, body: msg });
    if (msg.kind === 'file') this.keepFile(msg.seq, msg.file);
    if (this.args.json) return this.io.out(jsonLine(messageJson(msg, backfill, this.spec.room)));
    let text = isAction(msg) ? formatAction(msg.sender.name, msg, change) : formatMessage(msg.sender.name, msg, msg.sender.legacy, msg.seq);
    if (msg.kind === 'text' && msg.replyTo !== undefined) text += `\n${replyLine(msg.replyTo, this.thread.get(msg.replyTo))}`;
    this.out(this.args.seq ? `#${msg.seq} ${text}` : text);
  }

  private keepFile(seq: number, file: FileInfo): void {
    this.files.set(seq, file);
    if (this.files.size > MAX_FILES_KEPT) this.files.delete(this.files.keys().next().value ?? seq);
  }

  /** The file of message #seq as this chat saw it here; 'not a file' for a message of another kind. */
  fileAt(seq: number): FileInfo | 'not a file' | undefined {
    return this.files.get(seq) ?? (this.thread.get(seq) ? 'not a file' : undefined);
  }

  private reportUndelivered(o: OutgoingMessage): void {
    if (this.reported.has(o.msgId)) return;
    this.reported.add(o.msgId);
    this.io.err(`${this.prefix()}whatsudp: not delivered: "${firstLine(o.body)}"${o.error ? ` (${o.error.replace(/\.$/, '')})` : ''}`);
  }

  /** What "[...] " and /rooms call it: the room's name, or "dm NAME" for a direct message. */
  get label(): string {
    return this.spec.peer !== undefined ? `dm ${this.spec.peer}` : this.spec.room;
  }

  private joinedLine(): string {
    const { room, roomSecret, peer } = this.spec;
    // The default room open says what it said before rooms: "* joined the room at ...".
    const what = peer !== undefined ? `direct message with ${escapeName(peer)}` : room === 'main' && !roomSecret ? 'room' : `${roomSecret ? 'sealed ' : ''}room ${room}`;
    return `* joined the ${what} at ${formatAddress(this.args.server)} as ${escapeName(this.args.name)}`;
  }

  private listen(): void {
    const c = this.client;
    c.on('message', (msg, { backfill }) => this.show(msg, backfill));
    c.on('delivery', (o) => {
      if (o.state === 'delivered' && o.seq !== undefined) this.ownSeq = Math.max(this.ownSeq, o.seq);
      if (o.state === 'failed') {
        this.failed.set(o.msgId, o);
        this.reportUndelivered(o);
      } else this.failed.delete(o.msgId); // retried
    });
    c.on('state', (s) => {
      switch (s.state) {
        case 'connecting':
        case 'closed':
          break;
        case 'connected':
          this.note(this.joinedOnce ? '* back in the room' : this.joinedLine());
          this.joinedOnce = true;
          break;
        case 'reconnecting':
          this.note(`* lost the relay (${escapeName(s.reason)}); rejoining`);
          break;
        case 'offline':
          this.note(`* offline: ${escapeName(s.reason)}`);
          break;
        default: {
          const _exhaustive: never = s;
        }
      }
    });
    c.on('joined', (m) => {
      if (m.id !== c.clientId) this.note(`* ${escapeName(m.name)} joined`);
    });
    c.on('left', (m) => {
      if (m.id !== c.clientId) this.note(`* ${escapeName(m.name)} left`);
    });
    // Names are labels, keys are identity: a name seen before under other keys is said, each time.
    const namePins = new FileStore(path.join(path.dirname(this.args.identity), 'known_members'));
    const names = new NameWatch(
      nodeCrypto,
      namePins,
      c.clientId,
      (conflicts) => conflicts.forEach((x) => this.note(`* warning: ${escapeName(conflictText(x))}`)),
      (err) => this.note(`whatsudp: warning: cannot check names against ${namePins.where}: ${escapeName(err.message)}`),
    );
    c.on('members', (list) => names.check(list));
    // Someone opened a DM with this device: said once, with how to read it.
    c.on('dmOpened', (dm) => {
      if (this.host.dmNews(dm)) this.note(`* ${escapeName(dm.name)} opened a direct message with you: /dm ${escapeName(dm.name)} reads it`);
    });
    c.on('lost', (count, range) => {
      this.note(`* ${count} message${count === 1 ? '' : 's'} could not be recovered (seq ${range.fromSeq}-${range.toSeq}: older than the relay's history)`);
    });
    c.on('warning', (err) => {
      if (this.host.over() || this.host.fatal(err)) return;
      this.note(`whatsudp: warning: ${escapeName(err.message)}`);
    });
  }

  /** Waits (at most `waitMs`) until its messages are delivered and the room's copies printed; then
   * names each one that is not, and says how many. */
  async settle(waitMs: number): Promise<number> {
    const deadline = Date.now() + waitMs;
    const left = await this.client.flush(waitMs);
    // Own messages are acknowledged a moment before the room's copy reaches us: wait for that too.
    for (let i = 0; i < 1000 && this.printedSeq < this.ownSeq && Date.now() < deadline && !this.host.over(); i++) await sleep(10);
    const undelivered = new Map<number, OutgoingMessage>([...this.failed, ...left.map((o) => [o.msgId, o] as const)]);
    for (const o of undelivered.values()) this.reportUndelivered(o);
    return undelivered.size;
  }
}
