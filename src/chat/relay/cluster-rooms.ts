// The rooms of a clustered relay besides the default one (issue 15): a room made on any relay of the cluster
// can be joined on every relay. Its name, sealed verifier, creator and DM keys are in the cluster
// (cluster/room-infos.ts); its messages in its stream. A Hello for a room this relay does not serve yet is
// left unanswered while the room is looked up (or made) and opened, and the client's next Hello, a moment
// later, finds it here: the door's work is sync, the cluster's is not.
import type { Crypto } from '../../protocol/crypto';
import { DEFAULT_ROOM } from '../../protocol/rooms';
import type { HelloAuth } from '../../protocol/v2';
import type { ClusterRoomInfo } from '../cluster/index';
import { applyRotation, type RelayCluster } from './cluster-relay';
import { ClusterRoom, clusterRoomName } from './cluster-room';
import type { RoomChoice } from './door';
import { RoomGate } from './gate';
import { Room } from './room';
import { RoomHost, type RoomContext, type RoomOwners } from './room-host';
import type { RoomRegistry } from './rooms';

/** How long "no such room in the cluster" is believed before it is asked again. */
const ABSENT_MS = 2000;
const LATER: RoomChoice = { ok: 'later' };

export class ClusterRooms {
  private readonly opening = new Set<string>();
  private readonly absent = new Map<string, number>();
  /** Rooms this relay's members made in the cluster, until the maker's Hello is admitted (takeMade). */
  private readonly made = new Set<string>();

  constructor(
    private readonly rc: RelayCluster,
    private readonly registry: RoomRegistry,
    private readonly ctx: RoomContext,
    private readonly crypto: Crypto,
    private readonly warn: (message: string) => void,
  ) {}

  /** Which room a Hello may have: as the registry says for a room served here; else later, once the
   * cluster has been asked (a room there is opened here; a new one the registry allows is made there). */
  choose(auth: HelloAuth, host: string): RoomChoice {
    const name = auth.room ?? DEFAULT_ROOM;
    if (this.registry.get(name) || name === DEFAULT_ROOM) return this.registry.choose(auth, host);
    if (this.opening.has(name)) return LATER;
    if ((this.absent.get(name) ?? 0) <= Date.now()) {
      this.absent.delete(name);
      this.run(name, async () => {
        const info = await this.rc.rooms.get(clusterRoomName(name));
        if (info) await this.open(info);
        else this.absent.set(name, Date.now() + ABSENT_MS);
      });
      return LATER;
    }
    // Not in the cluster: the registry says whether this Hello may make it (its checks, its caps).
    const chosen = this.registry.choose(auth, host);
    if (chosen.ok !== true) return chosen;
    const info: ClusterRoomInfo = { name, creator: Uint8Array.from(auth.client.devicePublicKey), ...(chosen.gate ? { verifier: chosen.gate.current } : {}), ...(auth.dmKeys ? { dmKeys: Uint8Array.from(auth.dmKeys) } : {}) };
    this.run(name, async () => {
      const there = await this.rc.rooms.create(clusterRoomName(name), info); // another relay may have made it first
      this.absent.delete(name);
      await this.open(there);
      if (there === info) {
        this.registry.countCreated(host);
        this.made.add(name);
      }
    });
    return LATER;
  }

  /** Whether `name` was just made in the cluster by a member here (once: the relay then tells a DM's other device). */
  takeMade(name: string): boolean {
    return this.made.delete(name);
  }

  /** The rooms of the cluster this relay does not serve yet, for the Rooms list. */
  others(): ClusterRoomInfo[] {
    return [...this.rc.rooms.all()].filter((r) => !this.registry.get(r.name));
  }

  private run(name: string, work: () => Promise<void>): void {
    this.opening.add(name);
    work()
      .catch((e: unknown) => this.warn(`The cluster's room ${name} cannot be opened here: ${(e as Error).message}`))
      .finally(() => this.opening.delete(name));
  }

  private async open(info: ClusterRoomInfo): Promise<void> {
    if (this.registry.get(info.name)) return;
    const o = this.rc.roomOptions;
    const limits = this.ctx.limits;
    const room = new Room({ fsync: false, historyMessages: o.historyMessages, historyBytes: Math.min(o.historyBytes, limits.roomHistoryBytes) });
    const cr = await ClusterRoom.open(this.rc.api, this.rc.cluster, info.name, room, { ...o, historyBytes: Math.min(o.historyBytes, limits.roomHistoryBytes) }, this.warn);
    const gate = info.verifier ? new RoomGate(this.crypto, info.verifier) : undefined;
    if (gate) applyRotation(gate, info);
    const owners: RoomOwners = { ...(info.creator ? { creator: info.creator } : {}), ...(info.dmKeys ? { dmKeys: info.dmKeys } : {}) };
    const host = new RoomHost(info.name, room, this.ctx, gate, owners);
    host.clustered(cr, () => this.rc.relays());
    host.persist = this.rc.persistRoom(host, this.warn);
    this.registry.restore(host);
  }
}
