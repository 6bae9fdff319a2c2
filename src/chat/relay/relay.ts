// The relay: one UDP socket, many rooms (issue 11). It validates addresses, lets clients in through
// the door, and routes each member's datagram, by its session, to the room it joined (room-host.ts),
// which sequences what its members send, fans it out, repairs gaps and keeps their leases. Bad
// datagrams become 'warning' events; nothing a peer sends can throw out of the receive handler. From
// the socket handler down, a datagram goes: look up the sender, rate limit, decode, its room.
import type * as dgram from 'node:dgram';
import * as path from 'node:path';
import { decode, encode, isEnvelope, ProtocolError } from '../../protocol/codec';
import { dmRoomName } from '../../protocol/dm';
import { equalBytes, selectCrypto, type Crypto } from '../../protocol/crypto';
import { encodeClear, frame, isBulk, isV2, type HelloAuth } from '../../protocol/v2';
import { readLegacy } from '../../protocol/legacy';
import { DEFAULT_PORT, PacketType, RefuseReason, type Data, type FileCancel, type FileChunk, type FileGet, type Hello, type Packet } from '../../protocol/packets';
import { DEFAULT_ROOM } from '../../protocol/rooms';
import { TypedEmitter } from '../emitter';
import { ChatError } from '../errors';
import { RELAY_LIMITS, RELAY_TIMERS, TokenBucket } from '../limits';
import type { Address, Member, RelayEvents, RelayLimits, RelayOptions, RelayStats, RelayTimers, RoomInfo } from '../types';
import { CookieJar } from './cookies';
import { DeviceKeys, DeviceKeysFile, DH_KEYS_FILE, type DeviceDh } from './device-keys';
import { Door, type RoomChoice } from './door';
import { FileStore } from './file-store';
import { RelayFiles } from './files';
import { RoomGate } from './gate';
import { LegacyBridge } from './legacy-bridge';
import { Directory, toMember, type MemberState } from './members';
import { Room } from './room';
import { RoomHost, type RoomContext } from './room-host';
import { RoomRegistry } from './rooms';
import { bindRelaySocket, checkRelayOptions } from './socket';
import { relayKey, RelaySessions } from './sessions';
import { Strangers, type Stranger } from './strangers';
import { hostKey, hostLimitsOf, Hosts, takeMessage } from './hosts';
import { Wire } from './wire';
import { loadMainRotation, saveMainRotation } from './main-rotation';
import { loadRoomHosts, makeRoomHost } from './room-store';
import { advertised, checkClusterOptions, RelayCluster } from './cluster-relay';
import { ClusterRooms } from './cluster-rooms';
import { ClusterFiles } from './cluster-files';

export class Relay extends TypedEmitter<RelayEvents> {
  readonly notices: string[] = [];
  private readonly limits: Required<RelayLimits>;
  private readonly timers: Required<RelayTimers>;
  private readonly directory = new Directory();
  private readonly hosts: Hosts;
  private readonly strangers: Strangers;
  private readonly cookies: CookieJar;
  private readonly legacy: LegacyBridge;
  private readonly wire: Wire;
  private readonly sessions: RelaySessions;
  private readonly door: Door;
  private readonly rooms_: RoomRegistry;
  /** Devices' certified X25519 keys, for members opening a DM (KeyRequest). */
  private readonly deviceKeys: DeviceKeys;
  /** The default room: a Hello without a room extension, the legacy bridge, members() and stats(). */
  private readonly main: RoomHost;
  /** Files members upload (issue 14): their own store and cap, apart from the rooms' history. */
  private readonly files: RelayFiles;
  /** A clustered relay's rooms besides the default one, opened from the cluster when asked for. */
  private clusterRooms: ClusterRooms | undefined;
  /** With a store: DIR/dhkeys.json, written on the tick after a key was learnt. */
  private dhKeysFile: DeviceKeysFile | undefined;
  private tick: NodeJS.Timeout | undefined;
  private sweptAt = 0;
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    room: Room,
    private readonly opts: RelayOptions,
    private readonly bound: Address,
    sessions: RelaySessions,
    gate: RoomGate | undefined,
    crypto: Crypto,
    /** With RelayOptions.cluster: the relay's part of the cluster (issue 15). */
    private readonly clustered?: RelayCluster,
  ) {
    super();
    const limits = (this.limits = { ...RELAY_LIMITS, ...opts.limits });
    this.timers = { ...RELAY_TIMERS, ...opts.timers };
    this.hosts = new Hosts(hostLimitsOf(opts.limits, limits));
    this.strangers = new Strangers(limits.unvalidatedAddresses, limits.addressPacketsPerSecond, limits.addressBurst);
    this.cookies = new CookieJar(this.timers.cookieMs);
    this.legacy = new LegacyBridge(opts.legacyBridge === true || opts.legacyBroadcast !== undefined, opts.legacyBroadcast, bound);
    this.sessions = sessions;
    this.wire = new Wire(socket, (session, packet) => sessions.seal(session, packet));
    this.door = new Door(this.cookies, sessions, this.directory, this.wire, (message) => this.warn(message));
    const ctx: RoomContext = { wire: this.wire, limits, timers: this.timers, hosts: this.hosts, directory: this.directory, pending: { pendingBytes: 0 }, events: { emit: (e, ...a) => this.emit(e, ...a), listens: (e) => this.listens(e) } };
    this.main = new RoomHost(DEFAULT_ROOM, room, { ...ctx, legacy: { bridge: this.legacy, port: bound.port } }, gate, opts.roomCreator ? { creator: Uint8Array.from(opts.roomCreator) } : {});
    if (clustered) {
      this.main.clustered(clustered.main, () => clustered.relays());
      this.main.persist = clustered.persistRoom(this.main, (message) => this.warn(message));
    }
    const store = opts.store;
    if (gate && store && !clustered) this.main.persist = () => saveMainRotation(store, gate, opts.fsync ?? false); // a rotation survives a restart
    const dmName = (pair: Uint8Array) => dmRoomName(crypto, pair.subarray(0, 32), pair.subarray(32, 64));
    this.rooms_ = new RoomRegistry(this.main, crypto, limits.maxRooms, (name, g, owners) => makeRoomHost({ store, fsync: opts.fsync ?? false, limits }, ctx, name, g, owners), dmName, limits.roomsPerHost);
    if (clustered) {
      const rooms = (this.clusterRooms = new ClusterRooms(clustered, this.rooms_, ctx, crypto, (message) => this.warn(message)));
      this.rooms_.clusterRooms = () => rooms.others();
      clustered.onDmOpened((dm) => this.dmOpened(dm.room, dm.pair, dm.by, dm.byName));
    }
    this.deviceKeys = new DeviceKeys(crypto);
    const fileStore = new FileStore({ dir: store ? path.join(store, 'files') : undefined, capBytes: limits.fileStoreBytes });
    this.files = new RelayFiles(fileStore, this.wire, (m, packet) => (m.session ? sessions.sealBulk(m.session, packet) : undefined), limits, (message) => this.warn(message));
    if (clustered) this.files.shared = new ClusterFiles(clustered, fileStore, limits.fileStoreBytes, (message) => this.warn(message));
    if (opts.store) this.loadRooms(opts.store, ctx, crypto, clustered === undefined);
    try {
      this.notices.push(...fileStore.load());
    } catch (err) {
      this.notices.push(`The stored files could not be read back (${(err as Error).message}); they are kept as they are and new files start over.`);
    }
    socket.on('message', (buf, rinfo) => this.receive(buf, rinfo));
    socket.on('error', (err) => this.emit('warning', err));
    this.tick = setInterval(() => this.onTick(), Math.max(10, Math.min(250, this.timers.heartbeatMs / 4)));
    this.tick.unref();
  }

  /** Binds and starts a relay. Rejects with a ChatError saying what to do. */
  static async start(opts: RelayOptions = {}): Promise<Relay> {
    const host = opts.host ?? '127.0.0.1';
    const port = opts.port ?? DEFAULT_PORT;
    checkRelayOptions(opts);
    checkClusterOptions(opts);
    const room = new Room({
      storeDir: opts.cluster ? undefined : opts.store, // a clustered room is kept by its stream
      fsync: opts.fsync ?? false,
      historyMessages: opts.limits?.historyMessages ?? RELAY_LIMITS.historyMessages,
      historyBytes: opts.limits?.historyBytes ?? RELAY_LIMITS.historyBytes,
      storeBytes: opts.limits?.storeBytes,
    });
    const notices: string[] = [];
    notices.push(...room.storeNotices);
    let socket: dgram.Socket;
    let sessions: RelaySessions;
    let gate: RoomGate | undefined;
    let crypto: Crypto;
    try {
      crypto = (await selectCrypto()).crypto;
      if (opts.roomVerifier) gate = new RoomGate(crypto, opts.roomVerifier);
      const rotated = gate && opts.store && !opts.cluster ? loadMainRotation(opts.store, gate) : undefined;
      if (rotated) notices.push(rotated);
      sessions = new RelaySessions(crypto, opts.key ?? (opts.keyFile ? await relayKey(crypto, opts.keyFile, opts.store) : crypto.signingKey(crypto.random(32))));
      socket = await bindRelaySocket(host, port, opts, notices);
    } catch (err) {
      room.close();
      throw err;
    }
    const a = socket.address();
    const bound = { host: a.address, port: a.port };
    let clustered: RelayCluster | undefined;
    let warn = (message: string): void => void notices.push(message);
    let nats = (writing: boolean, detail: string): void => warn(detail);
    if (opts.cluster) {
      const ad = advertised(opts, bound);
      try {
        clustered = await RelayCluster.join(opts, room, gate, ad && { ...ad, key: sessions.publicKey }, DEFAULT_ROOM, (message) => warn(message), (writing, detail) => nats(writing, detail));
      } catch (err) {
        socket.close();
        room.close();
        throw err;
      }
      if (!ad) notices.push(`This relay is bound to ${bound.host}, which is no one address: give it the address members reach it at (--advertise HOST:PORT) so that they can fail over to it.`);
    }
    const relay = new Relay(socket, room, opts, bound, sessions, gate, crypto, clustered);
    relay.notices.push(...notices);
    warn = (message) => relay.warn(message);
    nats = (writing, detail) => relay.emit('store', { writing, detail });
    return relay;
  }

  address(): Address {
    return { ...this.bound };
  }

  /** The relay's long-term public key, which clients pin (protocol 2). */
  get publicKey(): Uint8Array {
    return this.sessions.publicKey;
  }

  /** Its fingerprint (52 base32 characters), what people compare and discovery announces. */
  get fingerprint(): string {
    return this.sessions.fingerprint;
  }

  /** The default room's members and head, the relay's counters, and how many rooms it serves. */
  stats(): RelayStats {
    return { ...this.wire.counters, members: this.main.joined.size, headSeq: this.main.room.headSeq, rooms: this.rooms_.size };
  }

  /** The default room's member list, for a host that shows it (the extension, `relay --log`). */
  members(): Member[] {
    return this.main.joined.all().map(toMember);
  }

  /** Every room this relay serves (DM rooms included: the host runs the relay). */
  rooms(): RoomInfo[] {
    return [...this.rooms_.all()].map((r) => r.info());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wire.closed = true;
    clearInterval(this.tick);
    this.saveDeviceKeys(Date.now(), true);
    this.rooms_.close();
    await this.files.shared?.close(); // what was uploaded just before goes into the cluster first
    await this.clustered?.close();
    this.files.close();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    this.removeAllListeners();
  }

  /** Every room the store keeps besides the default one (room-store.ts), and the devices' DH keys. */
  private loadRooms(store: string, ctx: RoomContext, crypto: Crypto, rooms: boolean): void {
    const o = { store, fsync: this.opts.fsync ?? false, limits: this.limits };
    if (rooms) this.notices.push(...loadRoomHosts(o, ctx, crypto, (host) => this.rooms_.restore(host)));
    this.dhKeysFile = new DeviceKeysFile(path.join(store, DH_KEYS_FILE), this.deviceKeys, o.fsync);
    this.notices.push(...this.dhKeysFile.load());
  }

  /** dhkeys.json, when a key was learnt: a failure is said and tried again at the next tick. */
  private saveDeviceKeys(now: number, last = false): void {
    try {
      this.dhKeysFile?.save(now, last);
    } catch (err) {
      this.warn(`Cannot write the devices' DH keys: ${(err as Error).message}`);
    }
  }

  // ---- a datagram, top to bottom ----

  private receive(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const now = Date.now();
    this.wire.counters.datagramsIn++;
    this.wire.counters.bytesIn += buf.length;
    const { address: host, port } = rinfo;
    const member = this.directory.at(host, port);
    const stranger = member ? undefined : this.strangers.get(host, port, now);
    if (stranger) stranger.bytesIn += buf.length;
    if (isBulk(buf)) return this.receiveBulk(buf, rinfo, member, now);
    if (!this.hosts.of(host, now).packets.take(now) || !(member ?? stranger!).packets.take(now)) {
      // Over its host's or its address's datagram rate: dropped before it is even decoded.
      this.wire.counters.rateLimited++;
      if (member) (member.room ?? this.main).slowDown(member, now);
      return;
    }
    try {
      if (!isEnvelope(buf)) return this.onSeedLine(buf, rinfo, stranger ?? this.strangers.get(host, port, now), now);
      if (isV2(buf)) return this.receiveV2(buf, rinfo, member, stranger, now);
      const p = decode(buf);
      // A protocol 2 member's address: only what opens under its session counts.
      if (member?.session) return void this.wire.counters.unauthenticated++;
      if (member) member.room?.joined.heard(member, now);
      this.dispatch(p, rinfo, member, stranger, now);
    } catch (err) {
      this.survive(err, rinfo);
    }
  }

  /** A file chunk (BULK): charged to its member's file bytes, not to the chat's datagram rates, and
   * dropped unopened over them or from an address with no session (the sender backs off and resends). */
  private receiveBulk(buf: Buffer, rinfo: dgram.RemoteInfo, member: MemberState | undefined, now: number): void {
    if (!member?.session) return void this.wire.counters.unauthenticated++;
    if (!this.files.admit(member, buf.length, now)) return void this.wire.counters.rateLimited++;
    try {
      this.receiveV2(buf, rinfo, member, undefined, now);
    } catch (err) {
      this.survive(err, rinfo);
    }
  }

  /** Nothing one datagram does may stop the relay: a bad packet is counted, and anything else (a
   * store that cannot be written, a listener that throws, a bug) is reported and survived. */
  private survive(err: unknown, from: dgram.RemoteInfo): void {
    if (err instanceof ProtocolError) this.wire.counters.malformed++;
    const what = err instanceof ProtocolError || err instanceof ChatError ? err.message : `Internal error: ${String((err as Error)?.stack ?? err)}`;
    this.warn(`${what} (datagram from ${from.address}:${from.port})`);
  }

  private onFilePacket(p: FileChunk | FileGet | FileCancel, m: MemberState, now: number): void {
    this.files.packet(p, m, now);
  }

  private dispatch(p: Packet, from: dgram.RemoteInfo, member: MemberState | undefined, stranger: Stranger | undefined, now: number): void {
    switch (p.type) {
      case PacketType.Hello:
        return this.door.upgrade(from, stranger);
      case PacketType.Data:
      case PacketType.Resend:
      case PacketType.Ping:
      case PacketType.RosterRequest:
      case PacketType.Leave:
      case PacketType.Typing:
      case PacketType.Seen:
      case PacketType.RoomsRequest:
      case PacketType.KeyRequest:
        if (!member) return this.wire.sendTo(this.notJoined(), from.address, from.port, stranger);
        return this.onMemberPacket(p, member, now);
      case PacketType.FileChunk:
      case PacketType.FileGet:
      case PacketType.FileCancel:
        if (!member) return this.wire.sendTo(this.notJoined(), from.address, from.port, stranger);
        return this.onFilePacket(p, member, now);
      case PacketType.Retry:
      case PacketType.Welcome:
      case PacketType.Ack:
      case PacketType.Msg:
      case PacketType.Gone:
      case PacketType.Pong:
      case PacketType.Roster:
      case PacketType.NotJoined:
      case PacketType.Refused:
      case PacketType.SlowDown:
      case PacketType.SeenCount:
      case PacketType.Rooms:
      case PacketType.Key:
      case PacketType.DmOpened:
      case PacketType.FileAck:
      case PacketType.FileStatus:
      case PacketType.Relays:
        throw new ProtocolError(`Unexpected ${PacketType[p.type]} packet (only a relay sends those)`);
      default: {
        const _exhaustive: never = p;
        throw new ProtocolError(`Unexpected packet ${(_exhaustive as Packet).type}`);
      }
    }
  }

  private notJoined(): Buffer {
    return encodeClear({ type: PacketType.NotJoined, epoch: this.main.room.epoch });
  }

  /** A protocol 2 datagram: a Hello (the handshake), or a member's sealed datagram, which is acted on
   * only once it opens under the member's session: a forged, tampered or replayed one is counted and
   * dropped, whatever address it claims to come from. */
  private receiveV2(buf: Buffer, from: dgram.RemoteInfo, member: MemberState | undefined, stranger: Stranger | undefined, now: number): void {
    const f = frame(buf);
    if (f.kind === 'hello') return this.onHello(f.hello, from, member, stranger, now, f.auth);
    if (f.kind !== 'sealed') throw new ProtocolError('Unexpected relay packet (only a relay sends those)');
    // The member at this address, as nearly always; else by its session id (it moved, or is forged).
    const m = member?.clientId.equals(f.sessionId) ? member : this.directory.client(f.sessionId.toString('hex'));
    const notJoined = () => this.wire.sendTo(this.notJoined(), from.address, from.port, stranger);
    if (!m?.session) return notJoined(); // a relay restart, or a session long gone: join again
    const p = this.sessions.open(m.session, buf);
    if (!p) return void this.wire.counters.unauthenticated++;
    // Its session, from another address: it joins again from there, and the cookie of that join
    // proves the address is its own. Until then nothing is sent there but this (within 3x).
    if (m !== member) return notJoined();
    m.room?.joined.heard(m, now);
    this.dispatch(p, from, m, undefined, now);
  }

  /** A member's packet, to its room; the rooms list and the device keys are the relay's, sent within
   * the member's byte budget like a roster. */
  private onMemberPacket(p: Data | Packet, m: MemberState, now: number): void {
    const room = m.room ?? this.main;
    if (p.type === PacketType.RoomsRequest) return room.sendPages(this.rooms_.pagesFor(m.session?.devicePublicKey), m, now);
    if (p.type === PacketType.KeyRequest) {
      const found = this.deviceKeys.get(p.deviceKey);
      const answer = (dh: DeviceDh | undefined) => {
        if (this.directory.client(m.hex) !== m) return; // gone while the cluster was asked
        const key = encode({ type: PacketType.Key, deviceKey: p.deviceKey, ...(dh ? { found: { x25519: Buffer.from(dh.x25519), certificate: Buffer.from(dh.certificate) } } : {}) });
        room.sendPages([key], m, Date.now());
      };
      if (found || !this.clustered) return answer(found);
      // Perhaps it joined another relay of the cluster: its key from there, checked here as from a Hello.
      this.clustered.findDeviceKey(p.deviceKey).then(
        (dh) => answer(dh && this.deviceKeys.offer(p.deviceKey, dh) ? dh : undefined),
        (e: unknown) => {
          this.warn(`Cannot look a device's key up in the cluster: ${(e as Error).message}`);
          answer(undefined);
        },
      ).catch((e: unknown) => this.warn(`Internal error: ${String((e as Error)?.stack ?? e)}`));
      return;
    }
    room.memberPacket(p, m, now);
  }

  /** A seed client's `name: text`: a message from an unverified name, sequenced in the default room
   * like any other when the bridge is on; else counted and dropped (what is not seed text at all is
   * malformed). */
  private onSeedLine(buf: Buffer, from: dgram.RemoteInfo, s: Stranger, now: number): void {
    if (this.legacy.isOwnEcho(buf, from.address, from.port)) return;
    const line = readLegacy(buf);
    if (!this.legacy.on) {
      this.wire.counters.legacyDropped++;
      if (this.legacy.firstRefusal()) this.emit('legacyDropped', { host: from.address, port: from.port });
      return;
    }
    this.wire.counters.legacyIn++;
    s.messages ??= new TokenBucket(this.limits.memberMessagesPerSecond, this.limits.memberBurst, now);
    if (!takeMessage(s.messages, this.hosts.of(from.address, now).messages, now)) {
      this.wire.counters.rateLimited++;
      return;
    }
    const m = this.legacy.message(line);
    this.main.seedLine(m.sender, m.msgId, m.text, now, line.verbatim ? buf : undefined);
  }

  // ---- joining ----

  /** A Hello: through the door (cookie, handshake, session, its room, name), then its room (made now
   * if it asked to create it) admits the client, every answer sealed under its new session. A session
   * and an address are in one room at a time: joining another room leaves the one it was in. */
  private onHello(p: Hello, from: dgram.RemoteInfo, member: MemberState | undefined, stranger: Stranger | undefined, now: number, signed?: HelloAuth): void {
    let chosen: RoomChoice | undefined;
    const choose = (auth: HelloAuth) => (this.clusterRooms ? this.clusterRooms.choose(auth, hostKey(from.address)) : this.rooms_.choose(auth, hostKey(from.address)));
    const entry = this.door.enter(p, from, member, stranger, now, signed, (auth) => (chosen = choose(auth)));
    if (!entry || !signed || chosen?.ok !== true) return;
    let room: RoomHost;
    const made = signed.room !== undefined && (this.rooms_.get(signed.room) === undefined || this.clusterRooms?.takeMade(signed.room) === true);
    try {
      room = this.rooms_.open(signed, chosen, hostKey(from.address));
    } catch (err) {
      // A new room the store cannot keep (a full disk): not made, and the member told why.
      return entry.refuse(RefuseReason.NotStored, `the relay cannot keep a new room now: ${(err as Error).message}`);
    }
    let current = member;
    if (current?.room && current.room !== room) {
      current.room.drop(current, 'leave');
      current = undefined;
    }
    const holder = this.directory.client(p.clientId.toString('hex'));
    if (holder?.room && holder.room !== room) holder.room.drop(holder, 'leave');
    const { address: host, port } = from;
    if (room.admit(p, entry, { host, port }, current, now)) this.strangers.delete(`${host}|${port}`);
    if (made && room.owners.dmKeys) {
      this.dmOpened(room.name, room.owners.dmKeys, signed.client.devicePublicKey, p.name);
      this.clustered?.dmOpened({ room: room.name, pair: room.owners.dmKeys, by: signed.client.devicePublicKey, byName: p.name });
    }
    // Its DH key, kept once its certificate checks, for a peer that wants to open a DM with it.
    if (signed.deviceDh && !this.deviceKeys.offer(signed.client.devicePublicKey, signed.deviceDh)) this.warn(`A Hello's device DH key has a certificate that does not check (datagram from ${host}:${port})`);
    else if (signed.deviceDh) this.clustered?.shareDeviceKey(signed.client.devicePublicKey, signed.deviceDh, (message) => this.warn(message));
  }

  /** A DM room was just made: each session of its other device, in whatever room, hears of it at once. */
  private dmOpened(name: string, pair: Uint8Array, by: Uint8Array, byName: string): void {
    const byKey = Buffer.from(by);
    const other = byKey.equals(pair.subarray(0, 32)) ? pair.subarray(32, 64) : pair.subarray(0, 32);
    let packet: Buffer | undefined;
    for (const m of this.directory.byClient.values()) {
      if (!m.session || !equalBytes(m.session.devicePublicKey, other)) continue;
      packet ??= encode({ type: PacketType.DmOpened, room: name, byKey, byName });
      this.wire.send(packet, m);
    }
  }

  private warn(message: string): void {
    this.emit('warning', new Error(message));
  }

  private onTick(): void {
    const now = Date.now();
    this.legacy.expire(now);
    this.saveDeviceKeys(now);
    // Leases are counted in heartbeat periods, so a sweep every quarter period (at most every
    // second) is precise enough; sweeping thousands of idle members four times a second is not free.
    const sweep = now - this.sweptAt >= Math.min(1000, this.timers.heartbeatMs / 4);
    if (sweep) this.sweptAt = now;
    const warn = (err: unknown) => this.warn(err instanceof ChatError ? err.message : `Internal error: ${String((err as Error)?.stack ?? err)}`);
    for (const room of this.rooms_.all()) room.tick(now, sweep, warn);
    // A relay joined the cluster: every member here hears of it now, for failover (once a second at most).
    const relays = sweep ? this.clustered?.newRelays() : undefined;
    if (relays) for (const m of this.directory.byClient.values()) if (m.session) this.wire.send(relays, m);
  }
}
