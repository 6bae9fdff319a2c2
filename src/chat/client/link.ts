// A client's link to its relay: one socket, the parts that own the protocol's state (the join, the
// outbox, the inbox, the heartbeat, the roster, all timed by one RTT estimator), and one alarm for
// the earliest deadline any of them has. From the socket handler down, in order: decode, the part the
// packet is for, what the parts now want sent, the next deadline.
import type * as dgram from 'node:dgram';
import { encode, isEnvelope } from '../../protocol/codec';
import { selectCrypto } from '../../protocol/crypto';
import { frame } from '../../protocol/v2';
import { dmRoomName } from '../../protocol/dm';
import { fingerprint } from '../../protocol/fingerprint';
import { IdentityError, loadOrCreateIdentity, newIdentity, type DeviceIdentity, type TextStore } from '../identity';
import type { Crypto, SigningKey } from '../../protocol/crypto';
import { HelloFlags, PacketType, TYPING_EVERY_MS, type MessageBody, type MessageHead, type Msg, type Packet, type SendableBody, type Welcome } from '../../protocol/packets';
import type { ClientEvents, ClientOptions, ClientTimers, OutgoingMessage, RoomMessage } from '../types';
import { formatAddress } from '../validate';
import { ChatError } from '../errors';
import { Inbox } from './inbox';
import { Join } from './join';
import { Outbox } from './outbox';
import { ClientRoster } from './roster';
import { RttEstimator } from './rtt';
import { RelayQueries } from './queries';
import { helloExtensions, roomOf } from './rooms';
import { candidateSecurity, type ClientSecurity } from './secure';
import { cannotOpen, checkSealable, isRekey, isSealed, RoomSeal } from './room-seal';
import { SignatureChecker, signWire, type Check } from './signatures';
import type { Candidate } from './candidates';
import { Failover } from './failover';
import { RelayEndpoint } from './endpoint';
import { Alarm, Heartbeat } from './timing';
import { FileTransfers } from '../transfer/transfers';

/** The identity in `store`, made on first use; a file that cannot be used is the user's to fix. */
async function loadIdentity(crypto: Crypto, store: TextStore): Promise<DeviceIdentity> {
  try {
    return (await loadOrCreateIdentity(crypto, store)).identity;
  } catch (err) {
    if (err instanceof IdentityError) throw new ChatError('BAD_OPTION', err.message);
    throw err;
  }
}

export type Emit = <K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]) => void;

/** What the link needs from the client that owns it. */
export interface LinkHost {
  emit: Emit;
  /** The name and the next msgId, for a Hello. */
  name(): string;
  nextMsgId(): number;
  /** An outgoing message was delivered or failed (flush() may be done). */
  settled(): void;
  /** The first join failed for good: close. */
  giveUp(): void;
}

export class Link {
  readonly rtt: RttEstimator;
  readonly join: Join;
  readonly inbox: Inbox;
  readonly outbox: Outbox;
  readonly heartbeat: Heartbeat;
  readonly roster: ClientRoster | undefined;
  /** The relay's rooms and devices' DH keys, asked for by the client (issue 11). */
  readonly queries: RelayQueries;
  /** File uploads and downloads (issue 14): chunks paced on their own timers, so chat goes first. */
  readonly files: FileTransfers;
  private crypto: Crypto | undefined;
  private identity: DeviceIdentity | undefined;
  private readonly alarm = new Alarm(() => this.onTimer());
  /** The relay talked to now: socket, address, session (failover moves it, issue 15). */
  private readonly ep = new RelayEndpoint(
    (buf, rinfo) => this.receive(buf, rinfo),
    (err) => this.host.emit('warning', err),
  );
  /** The relays of this room it may join (ClientOptions.server and .servers, and those a relay
   * named), and the moves between them (issue 15). */
  private readonly failover: Failover;
  /** Set in open(), before any datagram can arrive: signs what we send, checks what we receive. */
  private signingKey: SigningKey | undefined;
  private checker: SignatureChecker | undefined;
  /** A sealed room's key (ClientOptions.roomSecret), set in open(). */
  private seal: RoomSeal | undefined;
  private saidV1 = false;
  private roomId: bigint;
  private epoch = 0;
  private joinHead = 0; // messages up to here are backfill

  constructor(
    private readonly id: Buffer,
    private readonly opts: ClientOptions,
    private readonly t: Required<ClientTimers>,
    private readonly host: LinkHost,
  ) {
    this.rtt = new RttEstimator(t.initialRttMs, t.ptoFloorMs, t.ptoMaxMs);
    this.join = new Join(this.rtt, t, formatAddress(opts.server), { hello: (cookie) => this.sendHello(cookie), state: (s) => host.emit('state', s) });
    this.failover = new Failover(opts.server, opts.servers, opts.bind, {
      join: this.join,
      ep: this.ep,
      security: (c) => this.security(c),
      warn: (err) => host.emit('warning', err),
      moved: (now) => this.reschedule(now),
    });
    this.join.where = this.failover.candidates.describe(); // a first join that fails names them all
    this.inbox = new Inbox(
      this.rtt,
      (err) => host.emit('warning', err),
      (f, head, text) => this.opened(this.checker!.check(this.roomId, f.senderId, f.msgId, head, text), f, head, text),
    );
    this.outbox = new Outbox(opts.window ?? 64, this.rtt);
    this.heartbeat = new Heartbeat(t.heartbeatMs, this.rtt);
    if (opts.wantsRoster !== false) {
      this.roster = new ClientRoster(this.rtt, {
        request: (version) => this.send({ type: PacketType.RosterRequest, version }),
        members: (list) => host.emit('members', list),
        joined: (m) => host.emit('joined', m),
        left: (m) => host.emit('left', m),
      });
    }
    this.queries = new RelayQueries(
      (p) => this.join.phase === 'joined' && (this.send(p), true),
      () => this.crypto,
      formatAddress(opts.server),
    );
    this.files = new FileTransfers({
      crypto: () => {
        if (!this.crypto) throw new ChatError('CLOSED', 'This chat client has not been started.');
        return this.crypto;
      },
      joined: () => this.join.phase === 'joined',
      send: (p) => this.join.phase === 'joined' && this.send(p),
      sendBulk: (p) => {
        const sealed = this.join.phase === 'joined' ? this.ep.secure?.sealBulk(encode(p)) : undefined;
        if (sealed) this.ep.send(sealed);
      },
      rtt: () => this.rtt.smoothed,
    });
    this.roomId = opts.resume ? BigInt(`0x${opts.resume.roomId}`) : 0n;
    if (opts.resume) this.inbox.reset(opts.resume.lastSeq + 1);
  }

  /** A sealed room's keys (rotation.ts sends a rekey through them); undefined for an open room. */
  get roomSeal(): RoomSeal | undefined {
    return this.seal;
  }

  get unauthenticated(): number {
    return this.ep.unauthenticated;
  }

  /** The relays this link may be on: the current one first, then the failover candidates (issue 15). */
  relays(): string[] {
    return this.failover.candidates.all();
  }

  resumePoint(): { roomId: string; lastSeq: number } | undefined {
    return this.roomId === 0n ? undefined : { roomId: this.roomId.toString(16).padStart(16, '0'), lastSeq: this.inbox.next - 1 };
  }

  /** Opens the socket and joins; resolves on the first Welcome (see Join.begin for the rejections). */
  async open(): Promise<void> {
    const { crypto } = await selectCrypto();
    this.crypto = crypto;
    const identity = this.opts.identity ?? (this.opts.identityStore ? await loadIdentity(crypto, this.opts.identityStore) : newIdentity(crypto).identity);
    this.identity = identity;
    this.signingKey = identity.signingKey;
    this.checker = new SignatureChecker(crypto);
    if (this.opts.roomSecret) this.seal = RoomSeal.load(crypto, this.opts.roomSecret, { room: roomOf(this.opts), identity, keyring: this.opts.keyring });
    await this.ep.connect(this.opts.server, this.opts.bind, this.security(this.failover.candidates.current));
    if (this.join.phase === 'closed') {
      // close() came while the socket was opening: a closed client must not join after all.
      await this.ep.close();
      throw new ChatError('CLOSED', 'This chat client was closed before it joined.');
    }
    const joined = this.join.begin(Date.now());
    this.reschedule(Date.now());
    return joined;
  }

  /** Joins again now (a rename), if joined. */
  rejoin(): void {
    if (this.join.phase !== 'joined') return;
    this.join.start('connecting', '', Date.now());
    this.reschedule(Date.now());
  }

  async close(leave: boolean): Promise<void> {
    const wasJoined = this.join.phase === 'joined';
    this.join.close();
    this.queries.close();
    this.files.close();
    this.alarm.clear();
    await this.ep.close(wasJoined && leave ? this.ep.secure?.seal(encode({ type: PacketType.Leave, clientId: this.id })) : undefined);
    this.join.closed();
  }

  /** Sends what is due now and re-arms the alarm. */
  pump(now = Date.now()): void {
    if (this.join.phase === 'joined') {
      const changed: OutgoingMessage[] = [];
      for (const buf of this.outbox.due(now, changed)) this.send(buf);
      for (const o of changed) this.host.emit('delivery', { ...o });
      for (const r of this.inbox.due(now)) this.send({ type: PacketType.Resend, ...r });
    }
    this.reschedule(now);
  }

  /** Sealed for the relay: nothing but a Hello leaves before the session is in place. */
  /** The highest seq this member has said it has seen (sent again after a rejoin: the relay forgets). */
  private seenSent = 0;
  private typedAt = 0;

  /** Says the person is typing: at most every TYPING_EVERY_MS, and only while joined (never queued). */
  typing(now = Date.now()): void {
    if (this.join.phase !== 'joined' || now - this.typedAt < TYPING_EVERY_MS) return;
    this.typedAt = now;
    this.send({ type: PacketType.Typing, clientId: this.id });
  }

  /** Says the person has seen the room up to `seq` (ephemeral; a lost one is made good by the next). */
  seen(seq: number): void {
    if (seq <= this.seenSent || !Number.isInteger(seq) || seq > 0xffffffff) return;
    this.seenSent = seq;
    if (this.join.phase === 'joined') this.send({ type: PacketType.Seen, clientId: this.id, seq });
  }

  private send(p: Packet | Buffer): void {
    const sealed = this.ep.secure?.seal(Buffer.isBuffer(p) ? p : encode(p));
    if (sealed) this.ep.send(sealed);
  }

  private sendHello(cookie: Buffer): void {
    if (this.failover.moving) return;
    const hello = this.ep.secure?.hello({
      type: PacketType.Hello, clientId: this.id, name: this.host.name(), flags: (this.roster ? HelloFlags.WantsRoster : 0) | (this.opts.activity ? HelloFlags.WantsActivity : 0),
      roomId: this.roomId, lastSeq: this.roomId === 0n ? 0 : this.inbox.next - 1, cookie,
      firstUnacked: this.outbox.oldest() ?? this.host.nextMsgId(),
    });
    if (hello) this.ep.send(hello);
  }

  private receive(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    // While moving to another relay, the one left behind is not listened to any more.
    if (this.join.phase === 'closed' || this.failover.moving || !this.ep.from(rinfo)) return;
    this.take(buf, Date.now());
  }

  private take(buf: Buffer, now: number): void {
    try {
      const p = this.unwrap(buf);
      if (!p) return;
      this.rtt.heard();
      this.handle(p, now);
    } catch (err) {
      // A bad packet, a listener that throws or a bug: reported, never thrown out of the socket
      // handler, where it would take the whole process (the extension host, the CLI) down.
      this.host.emit('warning', err instanceof Error ? err : new Error(String(err)));
    }
    this.reschedule(now);
  }

  /** The packet in a datagram from the relay's address, if it is one to act on. A sealed one must
   * open under the session; a Welcome goes through the handshake (asynchronously: its key may be
   * checked against the pin file) and is handled when that is done. */
  private unwrap(buf: Buffer): Packet | undefined {
    const secure = this.ep.secure!;
    if (!isEnvelope(buf)) return undefined; // a seed line (an old relay's legacy broadcast): not for us
    const f = frame(buf);
    switch (f.kind) {
      case 'v1':
        // Said once: anyone can send protocol 1 datagrams as the relay, and each would be a line.
        if (!this.saidV1) this.host.emit('warning', new Error(`The relay at ${formatAddress(this.opts.server)} speaks protocol 1: it is an older WhatsUDP, please upgrade it.`));
        this.saidV1 = true;
        return undefined;
      case 'clear':
        return f.packet;
      case 'sealed':
        return secure.open(buf, f.sessionId); // one that comes while a Welcome is checked is held
      case 'welcome':
        if (this.join.welcomes) void this.onWelcomeDatagram(secure, buf, f.sessionId, f.relay);
        return undefined;
      default:
        throw new Error('Unexpected Hello from the relay');
    }
  }

  private async onWelcomeDatagram(secure: ClientSecurity, buf: Buffer, sessionId: Buffer, relay: Parameters<ClientSecurity['welcome']>[2]): Promise<void> {
    try {
      const out = await secure.welcome(buf, sessionId, relay);
      const now = Date.now();
      // Closed meanwhile, or moved on to another relay: this one's answer is moot.
      if (this.join.phase === 'closed' || this.failover.moving || secure !== this.ep.secure) return;
      if (out.kind === 'refused') {
        // Said as a warning too when the join that meets it is a rejoin: the CLI ends on it (exit 8).
        if (this.join.phase === 'joining' && this.join.connection.state !== 'connecting') this.host.emit('warning', out.error);
        // A failover candidate with another key is dropped and the next tried; the first join fails.
        if (this.join.joinedOnce && this.failover.possible) this.failover.moveOn(now, `the relay at ${this.failover.where} presents another key`, true);
        else if (this.join.fail(out.error)) this.host.giveUp();
      } else if (out.kind === 'packet') {
        this.rtt.heard();
        this.handle(out.packet, now);
      }
      this.reschedule(now);
    } catch (err) {
      this.host.emit('warning', err instanceof Error ? err : new Error(String(err)));
    }
    // What came while the Welcome was checked, under its session now (or dropped, counted, as before).
    const held = secure.takeHeld();
    if (this.join.phase !== 'closed' && secure === this.ep.secure) for (const buf of held) this.take(buf, Date.now());
  }

  /** The session's checks for relay `c` (secure.ts candidateSecurity). */
  private security(c: Candidate): ClientSecurity {
    const [crypto, identity, o] = [this.crypto!, this.identity!, this.opts];
    return candidateSecurity(c, { crypto, identity, pins: o.relayPins, acceptRelayKey: o.acceptRelayKey, roomSecret: o.roomSecret, relayFingerprints: o.relayFingerprints, extensions: helloExtensions(crypto, identity, o) }, this.id);
  }

  private handle(p: Packet, now: number): void {
    switch (p.type) {
      case PacketType.Retry:
        return this.join.retry(p.cookie, now);
      case PacketType.Welcome:
        return this.onWelcome(p, now);
      case PacketType.NotJoined:
        if (this.join.phase === 'joined') this.join.start('reconnecting', 'the relay asked us to join again', now);
        return;
      case PacketType.Refused:
        if (p.msgId !== 0) this.settle(this.outbox.fail(p.msgId, p.detail));
        else if (this.join.refused(p.detail)) this.host.giveUp();
        return;
      case PacketType.SlowDown: {
        const ms = this.outbox.pause(now, p.retryAfterMs);
        this.host.emit('warning', new Error(`The relay asks us to slow down (rate limit): waiting ${ms} ms.`));
        return;
      }
      default:
        if (this.join.phase === 'joined') this.handleJoined(p, now);
    }
  }

  private handleJoined(p: Packet, now: number): void {
    switch (p.type) {
      case PacketType.Ack:
        this.settle(this.outbox.ack(p.msgId, p.fragIndex, p.seq, now));
        return this.pump(now);
      case PacketType.Msg:
        // Our own message back from the relay: it is sequenced, which is what an Ack with a seq says.
        if (p.senderId.equals(this.id) && this.settle(this.outbox.sequenced(p.msgId, p.seq, now))) this.pump(now);
        return this.deliver(this.inbox.accept(p, now));
      case PacketType.Gone: {
        const { lost, skipped, delivered } = this.inbox.gone(p.fromSeq, p.toSeq);
        if (lost > 0 && skipped) this.host.emit('lost', lost, skipped);
        return this.deliver(delivered);
      }
      case PacketType.Pong:
        this.heartbeat.pong(p.nonce, now);
        this.heartbeat.ask(p.heartbeatMs);
        if (p.epoch !== this.epoch) return this.join.start('reconnecting', 'the relay restarted', now);
        this.inbox.knowHead(p.headSeq);
        return this.roster?.known(p.rosterVersion, now);
      case PacketType.Roster:
        return this.roster?.page(p);
      case PacketType.Typing:
        if (this.opts.activity && !p.clientId.equals(this.id)) this.host.emit('typing', p.clientId.toString('hex'));
        return;
      case PacketType.Seen:
        if (this.opts.activity && !p.clientId.equals(this.id)) this.host.emit('seen', p.clientId.toString('hex'), p.seq);
        return;
      case PacketType.SeenCount:
        if (this.opts.activity) this.host.emit('seenCount', p.seq, p.count);
        return;
      case PacketType.Rooms:
        return this.queries.onRooms(p);
      case PacketType.FileAck:
      case PacketType.FileStatus:
      case PacketType.FileChunk:
        return this.files.onPacket(p, now);
      case PacketType.Key:
        return this.queries.onKey(p);
      case PacketType.Relays:
        return this.failover.candidates.learn(p.relays); // sealed in our session: from the relay we joined
      case PacketType.DmOpened: {
        // The relay's word about who opened it, but the room must be the DM of our two keys: a relay
        // cannot point us at a room of its choosing this way.
        const mine = this.signingKey?.publicKey;
        if (!mine || !this.crypto || p.byKey.length !== 32 || p.room !== dmRoomName(this.crypto, mine, p.byKey)) return;
        this.host.emit('dmOpened', { room: p.room, key: p.byKey.toString('base64url'), fingerprint: fingerprint(this.crypto, p.byKey), name: p.byName });
        return;
      }
      default:
        return;
    }
  }

  /** Where the room starts for us: a new room from the relay's backfill point, the same one from
   * where we left off (saying what was lost meanwhile). */
  private onWelcome(p: Welcome, now: number): void {
    if (!this.join.welcomes) return;
    const newRoom = p.roomId !== this.roomId;
    // A relay starts us at most just past its head, and, resuming, right after what we have minus
    // what it lost: a Welcome that says otherwise would move the resume point anywhere. Ignored and
    // reported; the join is tried again.
    const implausible =
      p.fromSeq < 1 || p.fromSeq > p.headSeq + 1 || (!newRoom && p.lostCount > 0 && p.fromSeq - p.lostCount !== this.inbox.next);
    if (implausible) {
      this.host.emit('warning', new Error(`Ignored a Welcome that does not add up (from seq ${p.fromSeq}, head ${p.headSeq}, ${p.lostCount} lost).`));
      return;
    }
    this.roomId = p.roomId;
    this.epoch = p.epoch;
    this.heartbeat.ask(p.heartbeatMs); // the relay sets the pace of its room
    if (newRoom) {
      this.inbox.clear();
      this.inbox.reset(p.fromSeq);
      this.joinHead = p.headSeq;
    } else if (p.lostCount > 0) {
      this.host.emit('lost', p.lostCount, { fromSeq: this.inbox.next, toSeq: p.fromSeq - 1 });
      this.inbox.reset(p.fromSeq);
    }
    this.inbox.knowHead(p.headSeq);
    this.heartbeat.restart(now);
    if (newRoom || !this.outbox.signing) {
      const key = this.signingKey!;
      const roomId = p.roomId;
      const seal = this.seal;
      // A sealed room's content is sealed for this room before it is signed (room-seal.ts).
      const sealer = seal && ((msgId: number, body: SendableBody) => seal.seal(roomId, this.id, msgId, body));
      for (const o of this.outbox.signFor((msgId, head, text) => signWire(key, roomId, this.id, msgId, head, text), sealer)) this.settle(o);
    }
    // Any rejoin: the relay may have forgotten partial messages (reassembly timeout), not only restarted.
    this.outbox.rewind();
    this.join.welcomed(now, { state: 'connected', roomId: p.roomId.toString(16).padStart(16, '0'), epoch: p.epoch });
    const moved = this.failover.welcomed();
    if (moved) this.host.emit('warning', moved);
    this.roster?.known(p.rosterVersion, now, true);
    if (newRoom) this.seenSent = 0; // another room's seqs
    else if (this.seenSent > 0) this.send({ type: PacketType.Seen, clientId: this.id, seq: this.seenSent });
    this.files.rejoined(now);
    this.pump(now);
  }

  private deliver(messages: RoomMessage[]): void {
    for (const m of messages) {
      // One sealed under a key a rekey just before it brought (room-seal.ts reopen): opened now.
      const shown = this.seal ? this.seal.reopen(m) : m;
      this.host.emit('message', shown, { backfill: m.seq <= this.joinHead });
    }
  }

  /** An outgoing message that was delivered or failed: the user is told. */
  /** Throws ProtocolError for a message this room cannot carry (a sealed room's are a third shorter). */
  checkContent(body: SendableBody): void {
    if (this.opts.roomSecret) checkSealable(body);
  }

  /** A sealed message whose signature checked out: opened with the room's key, or a placeholder that
   * says it cannot be (a member without the key, or content moved to another author or msgId). */
  private opened(c: Check, f: Msg, head: MessageHead, text: Buffer): Check & { body?: MessageBody } {
    // A rekey (issue 9) that names this member gives it the room's new key; shown as what it is (kinds.ts).
    if (c.ok && this.seal && isRekey(head)) this.seal.rekey(text.toString('utf8')).catch((err: unknown) => this.host.emit('warning', err instanceof Error ? err : new Error(String(err))));
    if (!c.ok || !isSealed(head)) return c;
    return { ...c, body: this.seal ? this.seal.openAt(f.seq, this.roomId, f.senderId, f.msgId, text) : cannotOpen() };
  }

  private settle(out: OutgoingMessage | undefined): boolean {
    if (!out) return false;
    this.host.emit('delivery', { ...out });
    this.host.settled();
    return true;
  }

  private reschedule(now: number): void {
    if (this.join.phase === 'closed') return;
    let at = this.failover.moving ? Infinity : this.join.deadline();
    if (this.join.phase === 'joined') {
      at = Math.min(this.heartbeat.deadline(), this.outbox.nextDeadline(now) ?? Infinity, this.inbox.nextDeadline() ?? Infinity, this.roster?.deadline() ?? Infinity);
    }
    this.alarm.set(Math.max(at, now));
  }

  private onTimer(): void {
    const now = Date.now();
    if (this.join.phase === 'joining') {
      if (this.failover.moving) return;
      if (this.failover.possible && this.join.moveDue(now)) this.failover.moveOn(now, `the relay at ${this.failover.where} does not answer`);
      else if (this.join.due(now)) return this.host.giveUp();
    } else if (this.join.phase === 'joined') {
      const before = this.outbox.retransmits;
      const ping = this.heartbeat.due(now);
      if (ping.nonce !== undefined) this.send({ type: PacketType.Ping, nonce: ping.nonce });
      this.pump(now);
      if (ping.expired || this.outbox.retransmits > before) this.rtt.expired();
      if (this.rtt.silentProbes >= this.t.maxProbes) {
        this.heartbeat.restart(now);
        const silent = this.failover.where;
        if (this.failover.possible) this.failover.moveOn(now, `relay ${silent} is silent`);
        else this.join.start('reconnecting', `no answer from the relay at ${silent}`, now);
      } else {
        this.roster?.retry(now);
      }
    }
    this.reschedule(now);
  }
}
