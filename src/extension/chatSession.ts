// The window's side of the room: one ChatClient, the conversation and the unread count. No `vscode`
// and no UI: the panel, the status bar and the notifications listen to its events, so it runs in
// plain Node for tests. It outlives the panel: closing the chat does not leave the room.
import { randomBytes } from 'node:crypto';
import {
  type Address, ChatClient, ChatError, type ClientEvents, type ClientOptions, type ConnectionState, isSendable, type SendableBody,
  type Member, type RoomInfo, type RoomMessage, formatAddress, MAX_TEXT_BYTES, RelayKeyChangedError,
} from '../chat';
import { TypedEmitter } from '../chat';
import { rotateRoomKey, type RotateOptions, type Rotation } from '../chat/rotation';
import { conflictText, NameWatch, newIdentity, type DeviceIdentity, type MemberPins, type NameConflict, type TextStore } from '../chat/identity';
import { nodeCrypto, type Bytes } from '../protocol/crypto';
import type { ChatItem, ConnectionView, MemberView, Snapshot } from '../common/messages';
import { MAIN_ROOM } from './roomList';
import { isAction, textProblem, type ActionBody, type FileInfo } from '../common/message';
import { Conversation, type Change } from './conversation';
import type { HistoryStorage, PersistedState, StoredEntry } from './history';
import { connectionView, memberViews, mentions } from './views';

export interface Logger {
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
}

export interface SessionEvents {
  /** New items, and items changed in place (same key) or re-keyed (`replaces`). */
  items: [items: ChatItem[], replaces: { oldKey: string; item: ChatItem }[]];
  /** Keys changed wholesale (a new room): views should take a new snapshot. */
  reset: [];
  cleared: [];
  members: [members: MemberView[]];
  connection: [connection: ConnectionView];
  self: [self: { id: string; name: string }];
  unread: [count: number];
  /** (issue 13) Member `id` is typing, or has seen the room up to `seq` (rooms up to 50). */
  typing: [id: string];
  seen: [id: string, seq: number];
  /** A room of more than 50: `count` members have seen it up to `seq`. */
  seenCount: [seq: number, count: number];
  /** (issue 11) Someone opened a direct message with this device (the relay says so at once). */
  dmOpened: [dm: ClientEvents['dmOpened'][0]];
  /** A message from someone else, new to this window (for notifications). */
  incoming: [msg: RoomMessage, info: { backfill: boolean; mentionsMe: boolean }];
  /** The relay came back with a key that is not the pinned one: the session stays offline until the
   * user trusts the new key (trustRelayKey, then connect) or the relay's old key returns. */
  relayKeyChanged: [err: RelayKeyChangedError];
}

/** A sealed room's keys, from its invite link: its secret (each join proves it) and the relay key
 * fingerprints the link names (the relay must have one of them). */
export interface RoomKeys {
  secret: Uint8Array;
  fingerprints: string[];
  /** The other relays its invite link named (a cluster's, issue 15): the client fails over to them. */
  relays?: Address[];
}

/** An invite's relays other than the one joined: failover candidates (issue 15). */
function otherRelays(room: RoomKeys, server: Address): Address[] {
  return (room.relays ?? []).filter((r) => formatAddress(r) !== formatAddress(server));
}

export interface SessionOptions {
  server: Address;
  name: string;
  storage: HistoryStorage;
  log: Logger;
  /** Messages kept on disk; in memory at least 200, so the open conversation stays readable. */
  maxMessages: number;
  /** Tests shorten the engine's timers. */
  timers?: ClientOptions['timers'];
  /** This device's identity and the relay keys it pinned (protocol 2); without them, a key for this
   * session only and no pinning. */
  identity?: ClientOptions['identity'];
  relayPins?: ClientOptions['relayPins'];
  /** Names pinned to keys (trust on first use); without it, names are not checked. */
  memberPins?: TextStore;
  /** (issue 11) The relay's room this session joins: absent, the relay's default room (`main`), with
   * a Hello byte for byte what it was before rooms. `create`: the relay makes the room if it has none
   * by that name (sealed iff the session has a room secret); `dmKeys`: a DM room's two device keys. */
  room?: string;
  create?: boolean;
  dmKeys?: [Uint8Array, Uint8Array];
  /** (issue 9) A sealed room's secrets by epoch, learnt from rotations: older messages stay readable. */
  keyring?: ClientOptions['keyring'];
}

const RETRY_MIN_MS = 3000;
const RETRY_MAX_MS = 60_000;

export class ChatSession extends TypedEmitter<SessionEvents> {
  readonly clientId: string;
  private readonly conversation: Conversation;
  private client: ChatClient | undefined;
  private state: ConnectionState | undefined;
  private resume: PersistedState['resume'];
  private nextMsgId: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** connect() calls so far: an older call that wakes up after a newer one began stands down. */
  private attempts = 0;
  private visible = false;
  private acceptRelayKey: string | undefined;
  /** The sealed room's keys for the relay it joins, if that room is sealed (setServer). */
  private room: RoomKeys | undefined;
  /** One key for the session's lifetime: its session id is bound to the key of its first handshake. */
  private readonly identity: DeviceIdentity;
  /** Checks members' names against their keys; its flagged sessions are marked in the member list. */
  private readonly names: NameWatch | undefined;
  private firstUnreadKey: string | undefined;
  /** How far each member has seen this room, as the relay told (member state: not stored). */
  private readonly seenSeqs = new Map<string, number>();
  /** In a room of more than 50, how many have seen it how far (the relay's count, not names). */
  private seenCount: { seq: number; count: number } | undefined;
  /** How far this window's person has seen it: a new client says it again once joined. */
  private seenUpTo = 0;
  private dividerKey: string | undefined;
  private disposed = false;
  private _unread = 0;
  private _started = false;

  private constructor(
    private opts: SessionOptions,
    saved: PersistedState,
  ) {
    super();
    this.identity = opts.identity ?? newIdentity(nodeCrypto).identity;
    this.clientId = saved.clientId && /^[0-9a-f]{16}$/.test(saved.clientId) ? saved.clientId : randomBytes(8).toString('hex');
    this.conversation = new Conversation(this.clientId, saved, Buffer.from(this.identity.publicKey).toString('base64url'));
    this.names = this.nameWatch(opts.memberPins);
    this.resume = saved.resume;
    const highest = Math.max(0, ...this.conversation.pending().map((e) => e.msgId));
    this.nextMsgId = Math.max(1, saved.nextMsgId ?? 1, highest + 1);
  }

  static async open(opts: SessionOptions): Promise<ChatSession> {
    return new ChatSession(opts, await opts.storage.load());
  }

  get name(): string {
    return this.opts.name;
  }
  get server(): Address {
    return this.opts.server;
  }
  /** Whether the user has joined (or tried to) in this window; before that no socket exists. */
  get started(): boolean {
    return this._started;
  }
  get unread(): number {
    return this._unread;
  }
  get connection(): ConnectionView {
    // The relay it is on: after a failover (issue 15), not the one it was pointed at.
    return connectionView(this.state, this.client?.relays[0] ?? this.opts.server, this.room !== undefined);
  }
  get members(): MemberView[] {
    return memberViews(this.client?.members ?? [], this.clientId, this.names?.flagged, this.names?.verified);
  }

  /** What Verify needs: this device's key, the member pins, the room's members with their keys, and
   * which sessions show a verified key or a new key under their name. */
  verifyContext(): { publicKey: Bytes; pins?: TextStore; members: readonly Member[]; verified: ReadonlySet<string>; flagged: ReadonlySet<string> } {
    const none = new Set<string>();
    return { publicKey: this.identity.publicKey, pins: this.opts.memberPins, members: this.client?.members ?? [], verified: this.names?.verified ?? none, flagged: this.names?.flagged ?? none };
  }

  /** Changes the member pins (Verify), in turn with the name checks; resolves once the member list
   * shows it. Rejects if the pins cannot be written. */
  async updatePins(change: (pins: MemberPins) => boolean): Promise<void> {
    if (!this.names) throw new Error('This window keeps no member pins.');
    await this.names.update(change, this.client?.members ?? []);
  }

  /** (Re)creates the client and joins. Rejects with a ChatError if the join fails; the session then
   * keeps trying in the background and keeps what the user writes for when it gets through. */
  async connect(): Promise<void> {
    this._started = true;
    clearTimeout(this.retryTimer);
    const attempt = ++this.attempts;
    const old = this.client;
    this.client = undefined;
    if (old) {
      this.adopt(old);
      await old.close({ leave: true }).catch((err: unknown) => this.opts.log.warn(`Closing the old client failed: ${String(err)}`));
    }
    // A connect() called while the old client closed (a setting and Reconnect at once, or a retry)
    // found no client and made its own. Only the newest goes on: two clients with one client id
    // push each other out of the room, and a backfill then crawls (issue G in docs/BENCHMARKS.md).
    if (this.disposed || attempt !== this.attempts) return;
    const client = new ChatClient({
      server: this.opts.server,
      name: this.opts.name,
      clientId: this.clientId,
      firstMsgId: this.nextMsgId,
      restore: this.conversation
        .pending()
        .flatMap((e) => (e.state !== 'failed' && isSendable(e.body) ? [{ msgId: e.msgId, body: e.body, createdAt: e.time }] : [])),
      resume: this.resume,
      timers: this.opts.timers,
      identity: this.identity,
      relayPins: this.opts.relayPins,
      acceptRelayKey: this.acceptRelayKey,
      activity: true, // who is typing and who has seen what: a panel shows them
      ...(this.room ? { roomSecret: this.room.secret, relayFingerprints: this.room.fingerprints, servers: otherRelays(this.room, this.opts.server) } : {}),
      ...this.roomOptions(),
      ...(this.opts.keyring ? { keyring: this.opts.keyring } : {}),
    });
    this.client = client;
    this.wire(client, this.resume !== undefined);
    if (this.seenUpTo > 0) client.seen(this.seenUpTo); // sent once joined, if the room is the same
    this.setState({ state: 'connecting' });
    this.opts.log.info(`Joining ${formatAddress(this.opts.server)} as ${this.opts.name}`);
    try {
      await client.start();
      this.acceptRelayKey = undefined; // pinned now: a later change is asked about again
      if (this.client === client) this.failures = 0;
      // Replaced while it was still opening its socket: the engine's close() then came before there
      // was a socket, and the client joined anyway. Closed here for good; without a Leave, which
      // would take the member out from under the newer client.
      else await client.close({ leave: false });
    } catch (err) {
      if (this.client !== client) return; // replaced meanwhile: the newer attempt speaks for itself
      this.adopt(client);
      this.client = undefined;
      await client.close({ leave: false }).catch(() => undefined);
      const reason = err instanceof Error ? err.message : String(err);
      this.setState({ state: 'offline', reason });
      this.opts.log.warn(`Could not join ${formatAddress(this.opts.server)}: ${reason}`);
      // A refusal (bad name, full room) or a relay key that is not the pinned one will not change by
      // itself; anything else may (the relay starts).
      if (!(err instanceof ChatError && (err.code === 'REFUSED' || err.code === 'RELAY_KEY_CHANGED'))) this.scheduleRetry();
      throw err;
    }
  }

  /** The room fields of the engine's options (rooms-design.md); none for the default room, so its
   * Hello stays what it was. */
  private roomOptions(): Pick<SessionOptions, 'room' | 'create' | 'dmKeys'> {
    const { room, create, dmKeys } = this.opts;
    if (room === undefined || room === MAIN_ROOM) return {};
    return { room, ...(create ? { create: true } : {}), ...(dmKeys ? { dmKeys } : {}) };
  }

  /** The relay's rooms (issue 11), as the joined client asks for them; rejects with a ChatError when
   * not joined, or when the relay does not answer (one that serves one room). */
  async rooms(): Promise<RoomInfo[]> {
    const client = this.client;
    if (!client || this.state?.state !== 'connected') throw new ChatError('CLOSED', 'Not connected to the relay: its rooms are listed once the chat is in.');
    return client.rooms();
  }

  /** A device's DH key as the relay saw it (certificate checked by the engine), for a direct message. */
  deviceKeyOf(key: Uint8Array): Promise<{ x25519: Uint8Array } | undefined> {
    if (!this.client || this.state?.state !== 'connected') return Promise.reject(new ChatError('CLOSED', 'Not connected to the relay: a direct message opens once the chat is in.'));
    return this.client.deviceKeyOf(key);
  }

  /** (issue 9) Rotates this sealed room's key: everyone in it now stays but `opts.remove`; resolves
   * with the new secret (the new link), which this session proves from then on. */
  async rotateKey(opts: RotateOptions = {}): Promise<Rotation> {
    if (!this.client || this.state?.state !== 'connected') throw new ChatError('CLOSED', 'Not connected to the room: its key is rotated while you are in it.');
    const rotation = await rotateRoomKey(this.client, opts);
    if (this.room) this.room = { ...this.room, secret: rotation.secret };
    return rotation;
  }

  /** This device's key pair and its certified DH key (direct messages derive their secret from it). */
  get deviceIdentity(): DeviceIdentity {
    return this.identity;
  }

  /** The relay's room this session is in. */
  get roomName(): string {
    return this.opts.room ?? MAIN_ROOM;
  }

  private scheduleRetry(): void {
    if (this.disposed) return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** this.failures++);
    this.retryTimer = setTimeout(() => {
      this.connect().catch(() => undefined); // logged in connect(); the banner shows the reason
    }, delay);
  }

  /** Takes over what a client that is going away still owes: its queue, its counters, its place. */
  private adopt(client: ChatClient): void {
    this.nextMsgId = Math.max(this.nextMsgId, client.nextMsgId());
    this.resume = client.resumePoint() ?? this.resume;
    this.conversation.requeue();
  }

  private wire(client: ChatClient, resuming: boolean): void {
    // Events from a client that was replaced are stale, so each handler first checks it is still
    // ours; and a listener that throws must not break the engine's socket handler: it is logged.
    const on = <K extends keyof ClientEvents>(event: K, fn: (...args: ClientEvents[K]) => void) =>
      client.on(event, (...args) => {
        if (this.client !== client || this.disposed) return;
        try {
          fn(...args);
        } catch (err) {
          this.opts.log.warn(`Handling the chat's ${event} event failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
        }
      });
    on('state', (s) => this.setState(s));
    on('message', (m, info) => this.onMessage(client, m, info.backfill, resuming));
    on('delivery', (o) => {
      if (!isAction(o.body)) return this.apply(this.conversation.applyDelivery(o));
      // An action has no row to show its state on: only a failure is said.
      if (o.state === 'failed') this.emit('items', [this.conversation.addNotice(`Your ${o.body.kind} was not delivered: ${o.error ?? 'the relay did not take it'}.`, 'warning')], []);
    });
    on('members', (list) => {
      const here = new Set(list.map((m) => m.id));
      for (const id of this.seenSeqs.keys()) if (!here.has(id)) this.seenSeqs.delete(id); // the relay forgot them too
      this.emit('members', memberViews(list, this.clientId, this.names?.flagged, this.names?.verified));
      this.names?.check(list);
    });
    on('typing', (id) => this.emit('typing', id));
    on('dmOpened', (dm) => this.emit('dmOpened', dm));
    on('seen', (id, seq) => {
      if (seq <= (this.seenSeqs.get(id) ?? 0)) return;
      this.seenSeqs.set(id, seq);
      this.emit('seen', id, seq);
    });
    on('seenCount', (seq, count) => {
      this.seenCount = { seq, count };
      this.emit('seenCount', seq, count);
    });
    on('lost', (count) => {
      const text = `${count} earlier message${count === 1 ? ' is' : 's are'} too old for the relay to send again.`;
      this.emit('items', [this.conversation.addNotice(text, 'warning')], []);
    });
    on('joined', (m) => this.opts.log.info(`${m.name} joined`));
    on('left', (m) => this.opts.log.info(`${m.name} left`));
    client.on('warning', (err) => {
      this.opts.log.warn(err.message);
      if (err instanceof RelayKeyChangedError) this.emit('relayKeyChanged', err);
    });
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    if (s.state === 'connected' && this.conversation.enterRoom(s.roomId)) this.newRoom();
    this.emit('connection', this.connection);
  }

  private onMessage(client: ChatClient, m: RoomMessage, backfill: boolean, resuming: boolean): void {
    const roomId = client.resumePoint()?.roomId ?? this.conversation.roomId;
    if (roomId === undefined) return;
    const reset = this.conversation.enterRoom(roomId);
    const change = this.conversation.addMessage(m, roomId);
    if (reset) this.newRoom();
    if (!change) return;
    // Not an error of this window's: someone's action on a message it cannot change (or no longer keeps).
    if (change.ignored) this.opts.log.info(`Seq ${m.seq} (${m.kind} from ${m.sender.name}) changes nothing: ${change.ignored}`);
    this.apply(change);
    if (change.entry && !change.entry.own) {
      // A first join's backfill is old news; what arrived while this window was away is not.
      if (!this.visible && (!backfill || resuming)) {
        this._unread++;
        this.firstUnreadKey ??= change.items[0]?.key;
        this.emit('unread', this._unread);
      }
      this.emit('incoming', m, { backfill, mentionsMe: mentions(m.text, this.opts.name) });
    }
  }

  private apply(change: Change | undefined): void {
    if (!change) return;
    this.emit('items', change.items, change.replaces);
    this.conversation.trim(Math.max(this.opts.maxMessages, 200));
    this.save();
  }

  /** Another room (or the relay started over): what members had seen was of the old one. */
  private newRoom(): void {
    this.seenSeqs.clear();
    this.seenCount = undefined;
    this.seenUpTo = 0;
    this.emit('reset');
  }

  /** The person is typing (the client says so at most once a second, and only while joined). */
  typing(): void {
    this.client?.typing();
  }

  /** The person has seen the room up to `seq` (the client says it again after a rejoin). */
  seen(seq: number): void {
    this.seenUpTo = Math.max(this.seenUpTo, seq);
    this.client?.seen(seq);
  }

  /** Sends a text; `replyTo`, the key of the message it answers (which must still be shown). */
  send(text: string, replyTo?: string): void {
    if (replyTo === undefined) return this.sendBody({ kind: 'text', text });
    this.sendBody({ kind: 'text', text, replyTo: this.target(replyTo, 'reply to').seq! });
  }

  /** Adds this device's reaction to the message at `key`, or takes it back. */
  react(key: string, emoji: string, remove: boolean): void {
    this.sendAction({ kind: 'reaction', text: '', to: this.target(key, 'react to').seq!, emoji, remove });
  }

  /** Edits or deletes an own message; every reader checks it is the author's key (thread.ts). */
  edit(key: string, text: string): void {
    this.sendAction({ kind: 'edit', text, to: this.target(key, 'edit', true).seq! });
  }

  delete(key: string): void {
    this.sendAction({ kind: 'delete', text: '', to: this.target(key, 'delete', true).seq! });
  }

  private target(key: string, doing: string, own = false): StoredEntry {
    const e = this.conversation.target(key);
    if (!e) throw new ChatError('BAD_OPTION', `That message is no longer in this room's conversation: there is nothing to ${doing}.`);
    if (own && !this.conversation.isMine(e)) throw new ChatError('BAD_OPTION', `Only its author can ${doing} a message.`);
    return e;
  }

  /** (issue 14) The file the message at `key` names, if it is one and not deleted. */
  fileAt(key: string): FileInfo | undefined {
    const e = this.conversation.find(key);
    return e && !e.deleted && e.body.kind === 'file' ? e.body.file : undefined;
  }

  /** (issue 14) Uploads a file and names it in the room (ChatClient.sendFile); CLOSED while offline. */
  sendFile(...args: Parameters<ChatClient['sendFile']>): ReturnType<ChatClient['sendFile']> {
    if (!this.client) throw new ChatError('CLOSED', 'Not connected to the room: a file is sent once the chat is in.');
    return this.client.sendFile(...args);
  }

  /** (issue 14) Fetches a file a message named (ChatClient.fetchFile); CLOSED while offline. */
  fetchFile(...args: Parameters<ChatClient['fetchFile']>): ReturnType<ChatClient['fetchFile']> {
    if (!this.client) throw new ChatError('CLOSED', 'Not connected to the room: a file is fetched once the chat is in.');
    return this.client.fetchFile(...args);
  }

  /** An action is no row of its own: it shows when the room sends it back, as it does for everyone. */
  private sendAction(body: ActionBody): void {
    if (!this.client) throw new ChatError('CLOSED', 'Not connected to the room: reactions, edits and deletes need the connection.');
    this.client.send(body);
  }

  /** Sends a message, or keeps it for later while there is no client. Throws ChatError TOO_LARGE / EMPTY. */
  sendBody(body: SendableBody): void {
    if (isAction(body)) return this.sendAction(body);
    const sender = { id: this.clientId, name: this.opts.name, legacy: false };
    let entry: StoredEntry;
    if (this.client) {
      const o = this.client.send(body);
      entry = { time: o.createdAt, sender, body, msgId: o.msgId, own: true, state: o.state };
    } else {
      const problem = textProblem(body.text);
      if (problem) throw new ChatError(problem.code, problem.message);
      entry = { time: Date.now(), sender, body, msgId: this.nextMsgId++, own: true, state: 'queued' };
    }
    this.apply({ items: [this.conversation.addOwn(entry)], replaces: [] });
  }

  /** Sends a failed own message again. */
  retry(key: string): void {
    const e = this.find(key);
    if (!e || !e.own || e.state !== 'failed' || !isSendable(e.body)) return;
    // The client that failed it may be gone (reconnect, reload): then it is simply sent anew.
    const o = this.client ? (this.client.retry(e.msgId) ?? this.client.send(e.body)) : undefined;
    this.apply(this.conversation.renumber(e, o?.msgId ?? this.nextMsgId++, o?.state ?? 'queued'));
  }

  async rename(name: string): Promise<void> {
    if (name === this.opts.name) return;
    this.opts = { ...this.opts, name };
    this.emit('self', { id: this.clientId, name });
    if (this.client) await this.client.rename(name);
  }

  /** Names are labels, keys are identity: a known name under a key never seen with it is flagged in
   * the member list and said once in the conversation (a new device of theirs, or someone else). */
  private nameWatch(pins: TextStore | undefined): NameWatch | undefined {
    if (!pins) return undefined;
    const report = (conflicts: NameConflict[]) => {
      if (this.disposed) return;
      for (const c of conflicts) this.emit('items', [this.conversation.addNotice(`${conflictText(c)}.`, 'warning')], []);
      this.emit('members', this.members);
    };
    const failed = (err: Error) => this.opts.log.warn(`Cannot check names against ${pins.where}: ${err.message}`);
    return new NameWatch(nodeCrypto, pins, this.clientId, report, failed, () => !this.disposed && this.emit('members', this.members));
  }

  /** The user confirmed the relay's new key (its fingerprint): the next connect trusts it and re-pins. */
  trustRelayKey(fingerprint: string): void {
    this.acceptRelayKey = fingerprint;
  }

  /** Points the session at another relay (settings changed, or a server started here), with the
   * keys of its room if it is sealed. The caller connects: one connect() per join, so failures are
   * reported once, by whoever asked. */
  setServer(server: Address, room?: RoomKeys): void {
    const sealedBefore = this.room !== undefined;
    this.room = room;
    if (formatAddress(server) === formatAddress(this.opts.server)) {
      if (sealedBefore !== (room !== undefined)) this.emit('connection', this.connection); // the header's lock
      return;
    }
    this.opts = { ...this.opts, server };
    this.emit('connection', this.connection);
  }

  setMaxMessages(max: number): void {
    this.opts = { ...this.opts, maxMessages: max };
    this.conversation.trim(Math.max(max, 200));
    this.save();
  }

  /** The panel became visible or hidden. Showing it reads everything: the count clears, and the
   * snapshot the panel asks for marks where the unread part began. */
  setVisible(visible: boolean): void {
    if (visible && !this.visible) {
      this.dividerKey = this.firstUnreadKey;
      this.firstUnreadKey = undefined;
      if (this._unread) {
        this._unread = 0;
        this.emit('unread', 0);
      }
    }
    this.visible = visible;
  }

  /** Forgets the conversation on this machine; own messages still on their way stay. */
  clear(): void {
    this.conversation.clear();
    this.firstUnreadKey = this.dividerKey = undefined;
    this._unread = 0;
    this.emit('unread', 0);
    this.emit('cleared');
    const left = this.conversation.items();
    if (left.length) this.emit('items', left, []);
    this.save();
  }

  snapshot(): Omit<Snapshot, 'server'> {
    return {
      self: { id: this.clientId, name: this.opts.name },
      items: this.conversation.items(),
      members: this.members,
      connection: this.connection,
      firstUnreadKey: this.dividerKey,
      maxBytes: MAX_TEXT_BYTES,
      seen: [...this.seenSeqs].map(([id, seq]) => ({ id, seq })),
      ...(this.seenCount ? { seenCount: this.seenCount } : {}),
    };
  }

  /** The message shown under `key`, if it is still there. */
  find(key: string): StoredEntry | undefined {
    return this.conversation.find(key);
  }

  private save(): void {
    this.opts.storage.schedule(() => ({
      version: 1,
      clientId: this.clientId,
      nextMsgId: Math.max(this.nextMsgId, this.client?.nextMsgId() ?? 0),
      resume: this.client?.resumePoint() ?? this.resume,
      entries: this.conversation.entries(this.opts.maxMessages),
    }));
  }

  /** Leaves the room (a Leave, so others see it at once), closes the socket, writes the history. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    clearTimeout(this.retryTimer);
    const client = this.client;
    if (client) this.adopt(client);
    this.save();
    this.disposed = true;
    this.client = undefined;
    this.removeAllListeners();
    await client?.close({ leave: true }).catch(() => undefined);
    await this.opts.storage.dispose();
  }
}
