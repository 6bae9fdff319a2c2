// The rooms beside the default one (issue 11): one ChatSession per joined room on the relay the chat
// is on (a member session is in one room, so a room is a client of its own), the list of joined rooms
// and muted rooms in globalState, and the relay's other rooms to offer. The default room stays the
// App's own session, exactly as before rooms; this hub adds to it and never changes it.
import * as vscode from 'vscode';
import { type Address, ChatError, formatAddress } from '../chat';
import type { ChatSession, RoomKeys } from './chatSession';
import { Disposable } from './dispose';
import { FileHistory, type HistoryStorage, MemoryHistory } from './history';
import {
  type JoinedRoom, joinedRooms, MAIN_ROOM, otherRooms, roomHistoryDir, roomKey, type RoomInfo, withoutRoom, withRoom,
} from './roomList';

const JOINED = 'whatsudp.joinedRooms';
const MUTED = 'whatsudp.mutedRooms';

export interface RoomEntry {
  joined: JoinedRoom;
  session: ChatSession;
}

export interface HubDeps {
  globalState: vscode.Memento;
  storageDir: string;
  log: { info(m: string): void; warn(m: string, ...a: unknown[]): void };
  /** Makes a room's session (the App's keys, name and settings) and wires its events. */
  open(joined: JoinedRoom, storage: HistoryStorage, keys: RoomKeys | undefined): Promise<ChatSession>;
  /** A sealed room's keys, if this profile holds them (SecretStorage). */
  keys(relay: Address, room: string): Promise<RoomKeys | undefined>;
  /** A room rejoined at startup was refused (no such room any more, removed by a rotation...): it
   * is dropped from the joined list, and this tells the user. */
  refused(room: string, err: ChatError): void;
}

export class RoomHub extends Disposable {
  private relay: Address | undefined;
  private readonly entries = new Map<string, RoomEntry>();
  private relayRooms: RoomInfo[] = [];
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  /** Something to show changed: a room joined or left, muted, or the relay's list. */
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly deps: HubDeps) {
    super();
  }

  /** The joined rooms besides the default one, in the order they were joined. */
  get list(): RoomEntry[] {
    return [...this.entries.values()];
  }

  /** The relay's rooms this profile could join (its last list). */
  get others(): RoomInfo[] {
    return otherRooms(this.relayRooms, new Set(this.entries.keys()));
  }

  /** DM rooms the relay lists to this device (someone opened one with it) not joined here. */
  get dmOffers(): RoomInfo[] {
    return this.relayRooms.filter((r) => r.dm && !this.entries.has(r.name));
  }

  entry(room: string): RoomEntry | undefined {
    return this.entries.get(room);
  }

  isMuted(room: string): boolean {
    return this.relay !== undefined && this.muted().includes(roomKey(formatAddress(this.relay), room));
  }

  mutedRooms(): Set<string> {
    return new Set([MAIN_ROOM, ...this.entries.keys()].filter((r) => this.isMuted(r)));
  }

  async setMuted(room: string, muted: boolean): Promise<void> {
    if (!this.relay) return;
    const key = roomKey(formatAddress(this.relay), room);
    const rest = this.muted().filter((k) => k !== key);
    await this.deps.globalState.update(MUTED, muted ? [...rest, key] : rest);
    this._onDidChange.fire();
  }

  /** The chat is on `relay` now. Rooms of another relay are closed (their history stays); when
   * `rejoin`, the rooms joined here before join again, in the background (a failure is logged). */
  async setRelay(relay: Address, rejoin: boolean): Promise<void> {
    const same = this.relay && formatAddress(this.relay) === formatAddress(relay);
    this.relay = relay;
    if (!same) {
      const old = [...this.entries.values()];
      this.entries.clear();
      this.relayRooms = [];
      this._onDidChange.fire();
      await Promise.all(old.map((e) => e.session.dispose()));
    }
    if (!rejoin) return;
    const here = formatAddress(relay);
    for (const j of this.joined().filter((x) => x.relay === here && !this.entries.has(x.room))) {
      this.join(j).catch(async (err: unknown) => {
        this.deps.log.warn(`Rejoining room ${j.room} at ${here} failed: ${(err as Error).message}`);
        // A refusal will not change by retrying; anything else (no answer) is tried at the next join.
        if (!(err instanceof ChatError && err.code === 'REFUSED')) return;
        await this.deps.globalState.update(JOINED, withoutRoom(this.joined(), here, j.room));
        this.deps.refused(j.room, err);
      });
    }
  }

  /** Joins (or, with `created`, makes) a room on the current relay and remembers it; resolves once
   * joined, rejects with the engine's ChatError (the room stays unjoined and unremembered then). */
  async join(spec: Omit<JoinedRoom, 'relay'> & { relay?: string }, keys?: RoomKeys): Promise<ChatSession> {
    if (!this.relay) throw new Error('The chat has not joined a relay yet: open the chat first.');
    const relay = this.relay;
    const joined: JoinedRoom = { ...spec, relay: formatAddress(relay) };
    const existing = this.entries.get(joined.room);
    if (existing) return existing.session;
    const dir = roomHistoryDir(this.deps.storageDir, joined.relay, joined.room);
    const storage = (await FileHistory.open(dir, undefined, this.deps.log).catch(() => undefined)) ?? new MemoryHistory();
    const roomKeys = keys ?? (await this.deps.keys(relay, joined.room));
    const session = await this.deps.open(joined, storage, roomKeys);
    session.setServer(relay, roomKeys);
    if (this.relay !== relay || this.entries.has(joined.room)) {
      await session.dispose(); // the relay changed, or the same room was joined, meanwhile
      return this.entries.get(joined.room)?.session ?? Promise.reject(new Error('The relay changed while joining.'));
    }
    this.entries.set(joined.room, { joined, session });
    this._onDidChange.fire();
    try {
      await session.connect();
    } catch (err) {
      // Refused (no such room, not yours, removed) or no answer: the room is not kept.
      if (this.entries.get(joined.room)?.session === session) this.entries.delete(joined.room);
      await session.dispose();
      this._onDidChange.fire();
      throw err;
    }
    await this.deps.globalState.update(JOINED, withRoom(this.joined(), joined));
    return session;
  }

  /** Leaves a room for good: its session says Leave, it is no longer rejoined; its history stays. */
  async leave(room: string): Promise<void> {
    const e = this.entries.get(room);
    if (!e) return;
    this.entries.delete(room);
    await this.deps.globalState.update(JOINED, withoutRoom(this.joined(), e.joined.relay, room));
    this._onDidChange.fire();
    await e.session.dispose();
  }

  /** Asks the relay for its rooms through a joined session; a relay that serves one room, or none
   * answering, leaves the list empty (logged). */
  async refresh(via: ChatSession): Promise<void> {
    try {
      this.relayRooms = await via.rooms();
    } catch (err) {
      this.deps.log.info(`The relay's rooms are not listed: ${(err as Error).message}`);
      this.relayRooms = [];
    }
    this._onDidChange.fire();
  }

  private joined(): JoinedRoom[] {
    return joinedRooms(this.deps.globalState.get(JOINED));
  }

  private muted(): string[] {
    const m = this.deps.globalState.get<unknown>(MUTED);
    return Array.isArray(m) ? m.filter((x): x is string => typeof x === 'string') : [];
  }

  /** Leaves every room's session (a Leave each) and writes their histories: awaited at shutdown. */
  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.session.dispose()));
  }

  override dispose(): void {
    void this.close();
    super.dispose();
  }
}
