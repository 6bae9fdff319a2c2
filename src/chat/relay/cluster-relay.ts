// A relay joining a cluster (issue 15, docs/CLUSTER.md): the options checked, the NATS connection made
// (through loadCluster(): the NATS client is a bundle of its own, read only now), the default room's
// stream opened and read back, and this relay announced to the others. What the relay keeps of it.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { encode } from '../../protocol/codec';
import { MAX_RELAY_ENTRIES, PacketType } from '../../protocol/packets';
import { ChatError } from '../errors';
import type { Cluster, ClusterRoomInfo, RelayDirectory, RoomInfos } from '../cluster/index';
import { equalBytes } from '../../protocol/crypto';
import { loadCluster, type ClusterModule } from '../cluster/load';
import type { Address, RelayOptions } from '../types';
import { ClusterRoom, clusterRoomName, type ClusterRoomOptions } from './cluster-room';
import type { Room } from './room';

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
  if (there.verifier && mine.verifier && !equalBytes(there.verifier, mine.verifier)) throw bad('is sealed under another secret than this relay\'s');
}

/** A relay's part of the cluster: the connection, the default room's stream, the directory of relays. */
export class RelayCluster {
  private relaysPacket: { at: number; packet: Buffer | undefined } | undefined;
  private closed = false;

  private constructor(
    readonly api: ClusterModule,
    readonly cluster: Cluster,
    readonly main: ClusterRoom,
    private readonly directory: RelayDirectory,
    readonly roomOptions: ClusterRoomOptions,
    /** Every room of the cluster: name, verifier, creator, DM keys (cluster-rooms.ts opens them here). */
    readonly rooms: RoomInfos,
  ) {}

  /** Connects, opens the default room's stream into `room`, and announces this relay (`ad`). A ChatError
   * (UNREACHABLE, REFUSED) says what went wrong; nothing is left open then. */
  static async join(opts: RelayOptions, room: Room, ad: (Address & { key: Uint8Array }) | undefined, roomName: string, warn: (message: string) => void): Promise<RelayCluster> {
    const c = opts.cluster!;
    const api = loadCluster();
    const servers = c.servers.flatMap((s) => api.parseClusterServers(s));
    const cluster = await api.Cluster.connect({ servers, auth: c.auth, name: `whatsudp relay${ad ? ` ${ad.host}:${ad.port}` : ''}` });
    cluster.on('warning', (e) => warn(`NATS: ${e.message}`));
    cluster.on('status', (status, server) => {
      if (status === 'disconnected') warn(`Lost the NATS server ${server}: reconnecting; members' messages wait until the cluster takes them again.`);
      else if (status === 'connected') warn(`Connected to the NATS server ${server} again.`);
    });
    const relayId = Buffer.from(ad?.key ?? randomBytes(32)).toString('base64url');
    const roomOptions: ClusterRoomOptions = { replicas: c.replicas ?? 1, historyMessages: opts.limits?.historyMessages ?? 4096, historyBytes: opts.limits?.historyBytes ?? 64 * 1024 * 1024, relayId, presenceTtlMs: c.presenceTtlMs };
    let main: ClusterRoom | undefined;
    let rooms: RoomInfos | undefined;
    try {
      rooms = await api.RoomInfos.open(cluster, roomOptions.replicas);
      rooms.on('warning', (e) => warn(e.message));
      // Every relay of the cluster must serve one default room: open, or sealed under one verifier.
      const mine: ClusterRoomInfo = { name: roomName, ...(opts.roomVerifier ? { verifier: Uint8Array.from(opts.roomVerifier) } : {}), ...(opts.roomCreator ? { creator: Uint8Array.from(opts.roomCreator) } : {}) };
      const there = await rooms.create(clusterRoomName(roomName), mine);
      if (there !== mine) checkSameRoom(there, mine);
      main = await ClusterRoom.open(api, cluster, roomName, room, roomOptions, warn);
      const own = ad ? { host: ad.host, port: ad.port, key: Buffer.from(ad.key).toString('base64url') } : undefined;
      const directory = await api.RelayDirectory.open(cluster, own, { replicas: roomOptions.replicas, ttlMs: c.presenceTtlMs });
      directory.on('warning', (e) => warn(e.message));
      return new RelayCluster(api, cluster, main, directory, roomOptions, rooms);
    } catch (err) {
      rooms?.dispose();
      await main?.close();
      await cluster.dispose().catch(() => undefined);
      if (err instanceof ChatError) throw err;
      throw new ChatError('UNREACHABLE', `The cluster could not open the room ${roomName}: ${(err as Error).message}`);
    }
  }

  /** The Relays packet for a member: the other relays heard of (at most 8), made at most once a second. */
  relays(now = Date.now()): Buffer | undefined {
    if (this.relaysPacket && now - this.relaysPacket.at < 1000) return this.relaysPacket.packet;
    const others = this.directory.others().slice(0, MAX_RELAY_ENTRIES);
    const packet = others.length === 0 ? undefined : encode({ type: PacketType.Relays, relays: others.map((r) => ({ host: r.host, port: r.port, key: Buffer.from(r.key, 'base64url') })) });
    this.relaysPacket = { at: now, packet };
    return packet;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.directory.dispose().catch(() => undefined);
    this.rooms.dispose();
    await this.main.close();
    await this.cluster.dispose().catch(() => undefined);
  }
}
