// A relay joining a cluster (issue 15, docs/CLUSTER.md): the options checked, the NATS connection made
// (through loadCluster(): the NATS client is a bundle of its own, read only now), the default room's
// stream opened and read back, and this relay announced to the others. What the relay keeps of it.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { encode } from '../../protocol/codec';
import { MAX_RELAY_ENTRIES, PacketType } from '../../protocol/packets';
import { ChatError } from '../errors';
import type { Cluster, ClusterRoomInfo, RelayAd, RelayDirectory, RoomInfos, SharedDeviceKeys, SharedDh } from '../cluster/index';
import { equalBytes } from '../../protocol/crypto';
import { loadCluster, type ClusterModule } from '../cluster/load';
import type { Address, RelayOptions } from '../types';
import { ClusterRoom, clusterRoomName, type ClusterRoomOptions } from './cluster-room';
import type { Room } from './room';
import { quietly } from './quietly';
import type { RoomHost } from './room-host';
import { RotationState, type RoomGate } from './gate';

/** A DM room made at some relay of the cluster: its name, the two device keys, who made it. */
export interface DmNotice {
  room: string;
  pair: Uint8Array;
  by: Uint8Array;
  byName: string;
}

/** Where relays tell each other of a new DM room (core NATS: a notice missed is seen in the Rooms list). */
const DM_SUBJECT = 'wudp.dm-opened';

function decodeDm(text: string, self: string): DmNotice | undefined {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (o.from === self || typeof o.room !== 'string' || typeof o.pair !== 'string' || typeof o.by !== 'string' || typeof o.byName !== 'string') return undefined;
    const pair = Buffer.from(o.pair, 'base64url');
    const by = Buffer.from(o.by, 'base64url');
    if (pair.length !== 64 || by.length !== 32 || o.room.length > 64 || o.byName.length > 255) return undefined;
    return { room: o.room, pair, by, byName: o.byName };
  } catch {
    return undefined;
  }
}

/** The Relays packet naming the first 8 of `relays`, or undefined for none. */
function relaysPacket(relays: RelayAd[]): Buffer | undefined {
  const some = relays.slice(0, MAX_RELAY_ENTRIES);
  return some.length === 0 ? undefined : encode({ type: PacketType.Relays, relays: some.map((r) => ({ host: r.host, port: r.port, key: Buffer.from(r.key, 'base64url') })) });
}

/** The options a clustered relay cannot have, each with why; checked before anything starts. */
export function checkClusterOptions(opts: RelayOptions): void {
  const c = opts.cluster;
  if (!c) return;
  const bad = (what: string) => new ChatError('BAD_OPTION', what);
  if (!Array.isArray(c.servers) || c.servers.length === 0) throw bad('A clustered relay needs at least one NATS server (nats://HOST:PORT).');
  if (c.replicas !== undefined && c.replicas !== 1 && c.replicas !== 3) throw bad(`A room's stream has 1 or 3 replicas, not ${String(c.replicas)}.`);
  if (opts.legacyBridge || opts.legacyBroadcast !== undefined) throw bad('The original clients (--legacy-bridge, --legacy-broadcast) are served by a relay of its own, not by a cluster: their lines carry no id the cluster could keep them apart by.');
  const a = c.advertise;
  if (a && (typeof a.host !== 'string' || a.host === '' || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535)) throw bad('The advertised address must be HOST:PORT with a port of 1-65535.');
}

/** Where members reach this relay: the advertised address, or the bound one unless it is a wildcard. */
export function advertised(opts: RelayOptions, bound: Address): Address | undefined {
  if (opts.cluster?.advertise) return opts.cluster.advertise;
  const wildcard = bound.host === '0.0.0.0' || bound.host === '::' || isIP(bound.host) === 0;
  return wildcard ? undefined : bound;
}

/** The cluster's default room is not the one this relay was started for: a sealed relay beside an open
 * one would let in whom the other keeps out. */
function checkSameRoom(there: ClusterRoomInfo, mine: ClusterRoomInfo): void {
  const bad = (what: string) => new ChatError('BAD_OPTION', `The cluster's default room ${what}: start every relay of a cluster with the same --sealed room, or none.`);
  if (there.verifier && !mine.verifier) throw bad('is sealed, and this relay was started for an open one');
  if (!there.verifier && mine.verifier) throw bad('is open, and this relay was started for a sealed one');
  // Rotated since this relay's secret was current: the cluster's gate holds it as an older one.
  const known = [there.verifier, ...(there.rotation?.older ?? [])].some((v) => v && mine.verifier && equalBytes(v, mine.verifier));
  if (there.verifier && mine.verifier && !known) throw bad('is sealed under another secret than this relay\'s');
}

/** A gate as the cluster's entry has it: its verifier now and its rotations. */
export function applyRotation(gate: RoomGate, info: ClusterRoomInfo): void {
  const r = info.rotation;
  if (!info.verifier || !r) return;
  gate.rotation = new RotationState(r.epoch, r.older, r.kept, r.admins);
  gate.replace(info.verifier);
}

/** A relay's part of the cluster: the connection, the default room's stream, the directory of relays. */
export class RelayCluster {
  private relaysPacket: { at: number; packet: Buffer | undefined } | undefined;
  private closed = false;
  /** The relays members were last told of (newRelays). */
  private told = new Set<string>();
  private unsubscribe: () => void = () => undefined;
  /** Device keys this process has written to the cluster. */
  private readonly shared = new Set<string>();

  private constructor(
    readonly api: ClusterModule,
    readonly cluster: Cluster,
    readonly main: ClusterRoom,
    private readonly directory: RelayDirectory,
    readonly roomOptions: ClusterRoomOptions,
    /** Every room of the cluster: name, verifier, creator, DM keys (cluster-rooms.ts opens them here). */
    readonly rooms: RoomInfos,
    private readonly deviceKeys: SharedDeviceKeys,
  ) {}

  /** What `host.persist` does in a cluster: the room's entry rewritten with its gate as it is now (after a
   * key rotation), so that a relay opening the room later admits whom this one does. */
  persistRoom(host: RoomHost, warn: (message: string) => void): () => void {
    return () => {
      const gate = host.gate;
      const r = gate?.rotation;
      const info: ClusterRoomInfo = {
        name: host.name,
        ...(gate ? { verifier: gate.current } : {}),
        ...host.owners,
        ...(r ? { rotation: { epoch: r.epoch, older: r.older, kept: r.kept, admins: r.admins } } : {}),
      };
      this.rooms.put(clusterRoomName(host.name), info).catch((e: unknown) => warn(`The room ${host.name}'s new key could not be written to the cluster (${(e as Error).message}): a relay that opens the room later would not know of the rotation.`));
    };
  }

  /** A device's certified DH key, checked here, written for the other relays (once per process and key). */
  shareDeviceKey(device: Uint8Array, dh: SharedDh, warn: (message: string) => void): void {
    const id = `${Buffer.from(device).toString('hex')}${Buffer.from(dh.x25519).toString('hex')}`;
    if (this.shared.has(id)) return;
    this.shared.add(id);
    if (this.shared.size > 65_536) this.shared.delete(this.shared.values().next().value!);
    this.deviceKeys.put(device, dh).catch((e: unknown) => {
      this.shared.delete(id);
      warn(`Cannot share a device's key with the cluster: ${(e as Error).message}`);
    });
  }

  /** A device's DH key as another relay wrote it (unchecked: the caller checks its certificate). */
  findDeviceKey(device: Uint8Array): Promise<SharedDh | undefined> {
    return this.deviceKeys.get(device);
  }

  /** Connects, opens the default room's stream into `room`, and announces this relay (`ad`). A ChatError
   * (UNREACHABLE, REFUSED) says what went wrong; nothing is left open then. */
  static async join(
    opts: RelayOptions,
    room: Room,
    gate: RoomGate | undefined,
    ad: (Address & { key: Uint8Array }) | undefined,
    roomName: string,
    warn: (message: string) => void,
    onNats: (connected: boolean, detail: string) => void,
  ): Promise<RelayCluster> {
    const c = opts.cluster!;
    warn = quietly(warn);
    const api = loadCluster();
    const servers = c.servers.flatMap((s) => api.parseClusterServers(s));
    const cluster = await api.Cluster.connect({ servers, auth: c.auth, name: `whatsudp relay${ad ? ` ${ad.host}:${ad.port}` : ''}` });
    cluster.on('warning', (e) => warn(`NATS: ${e.message}`));
    cluster.on('status', (status, server) => {
      // Said like a full disk (the relay's 'store' event, which the CLI and the extension always show).
      if (status === 'disconnected') onNats(false, `the relay lost its NATS server ${server}: reconnecting; members' messages wait, and are refused to their senders if the cluster does not take them within 15 s`);
      else if (status === 'connected') onNats(true, `the relay reached NATS again (${server}): messages are kept and acknowledged`);
    });
    const relayId = Buffer.from(ad?.key ?? randomBytes(32)).toString('base64url');
    const roomOptions: ClusterRoomOptions = { replicas: c.replicas ?? 1, historyMessages: opts.limits?.historyMessages ?? 4096, historyBytes: opts.limits?.historyBytes ?? 64 * 1024 * 1024, relayId, presenceTtlMs: c.presenceTtlMs };
    let main: ClusterRoom | undefined;
    let rooms: RoomInfos | undefined;
    try {
      // A single server takes a stream of 3 replicas it cannot keep (2.9 lets a stream be updated to 3).
      if (roomOptions.replicas > 1 && !cluster.nc.info?.cluster) throw new ChatError('REFUSED', `Rooms of ${roomOptions.replicas} replicas need a NATS cluster of 3 servers, and ${servers.join(', ')} is a single server: ask for 1 (relay --cluster-replicas 1, or the setting whatsudp.server.clusterReplicas) or use a NATS cluster.`);
      rooms = await api.RoomInfos.open(cluster, roomOptions.replicas);
      rooms.on('warning', (e) => warn(e.message));
      // Every relay of the cluster must serve one default room: open, or sealed under one verifier.
      const mine: ClusterRoomInfo = { name: roomName, ...(opts.roomVerifier ? { verifier: Uint8Array.from(opts.roomVerifier) } : {}), ...(opts.roomCreator ? { creator: Uint8Array.from(opts.roomCreator) } : {}) };
      const there = await rooms.create(clusterRoomName(roomName), mine);
      if (there !== mine) checkSameRoom(there, mine);
      if (gate) applyRotation(gate, there); // the default room's key, as rotated since (at any relay)
      main = await ClusterRoom.open(api, cluster, roomName, room, roomOptions, warn);
      const own = ad ? { host: ad.host, port: ad.port, key: Buffer.from(ad.key).toString('base64url') } : undefined;
      const directory = await api.RelayDirectory.open(cluster, own, { replicas: roomOptions.replicas, ttlMs: c.presenceTtlMs });
      directory.on('warning', (e) => warn(e.message));
      const deviceKeys = await api.SharedDeviceKeys.open(cluster, roomOptions.replicas);
      return new RelayCluster(api, cluster, main, directory, roomOptions, rooms, deviceKeys);
    } catch (err) {
      rooms?.dispose();
      await main?.close();
      await cluster.dispose().catch(() => undefined);
      if (err instanceof ChatError) throw err;
      throw new ChatError('UNREACHABLE', `The cluster could not open the room ${roomName}: ${(err as Error).message}`);
    }
  }

  /** Tells the other relays that a DM room was made here, so the other device hears of it wherever it is. */
  dmOpened(dm: DmNotice): void {
    if (this.closed) return;
    const b = (x: Uint8Array) => Buffer.from(x).toString('base64url');
    this.cluster.nc.publish(DM_SUBJECT, JSON.stringify({ from: this.roomOptions.relayId, room: dm.room, pair: b(dm.pair), by: b(dm.by), byName: dm.byName }));
  }

  /** DM rooms the other relays made: each given to `tell` (the relay's own dmOpened). */
  onDmOpened(tell: (dm: DmNotice) => void): void {
    const sub = this.cluster.nc.subscribe(DM_SUBJECT, {
      callback: (err, msg) => {
        if (err) return;
        const dm = decodeDm(msg.string(), this.roomOptions.relayId);
        if (dm) tell(dm);
      },
    });
    this.unsubscribe = () => sub.unsubscribe();
  }

  /** The Relays packet for a member: the other relays heard of (at most 8), made at most once a second. */
  relays(now = Date.now()): Buffer | undefined {
    if (this.relaysPacket && now - this.relaysPacket.at < 1000) return this.relaysPacket.packet;
    const packet = relaysPacket(this.directory.others());
    this.relaysPacket = { at: now, packet };
    return packet;
  }

  /** The Relays packet when a relay has joined the cluster since the last call (members who are in already
   * hear of it then, not only at their next Welcome), else undefined. */
  newRelays(): Buffer | undefined {
    const told = this.told;
    const others = this.directory.others();
    const name = (r: RelayAd) => `${r.host}|${r.port}|${r.key}`;
    this.told = new Set(others.map(name));
    const fresh = others.filter((r) => !told.has(name(r)));
    if (fresh.length === 0) return undefined;
    this.relaysPacket = undefined; // the next Welcome's is made afresh too
    return relaysPacket([...fresh, ...others.filter((r) => told.has(name(r)))]); // the new ones first, within the 8
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    await this.directory.dispose().catch(() => undefined);
    this.rooms.dispose();
    await this.main.close();
    await this.cluster.dispose().catch(() => undefined);
  }
}
