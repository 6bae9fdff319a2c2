// The chat engine's public vocabulary: what the relay and the client take and emit. The extension,
// the CLI and the tests use only these names (plus the two classes) from `src/chat`.
import type { SigningKey } from '../protocol/crypto';
import type { MessageBody, SendableBody } from '../protocol/packets';
import type { DeviceIdentity } from './identity/device';
import type { TextStore } from './identity/store';
import type { Keyring } from './identity/keyring';
import type { ClusterAuth } from './cluster/connect';
import type { CLIENT_TIMER_OPTIONS, OptionValues, RELAY_LIMIT_OPTIONS, RELAY_TIMER_OPTIONS } from './options';

export interface Address {
  host: string;
  port: number;
}

export interface Sender {
  /** 16 hex digits: the client's id; all zeros for legacy (seed) senders. */
  id: string;
  name: string;
  /** A seed client's plain-text datagram: the name is unverified. */
  legacy: boolean;
  /** The key that signed the message (base64url of its 32 bytes) and its fingerprint: who wrote it,
   * whatever the name says. Absent for a seed line and for a message that could not be checked. */
  key?: string;
  fingerprint?: string;
}

/** A message as the room sequenced it. */
export type RoomMessage = MessageBody & {
  seq: number;
  /** Relay time in ms since the Unix epoch. */
  time: number;
  /** The sender's own id for this message (unique per sender id). */
  msgId: number;
  sender: Sender;
  /** The author's signature was checked and is good (always false for a seed line, for a placeholder,
   * and in the relay's own events: the relay forwards signatures, its members check them). */
  verified: boolean;
};

export type DeliveryState = 'queued' | 'sending' | 'delivered' | 'failed';

/** A message this client sends, as it travels. */
export interface OutgoingMessage {
  msgId: number;
  body: SendableBody;
  state: DeliveryState;
  /** The room seq once delivered. */
  seq?: number;
  /** Why it failed (relay refused it, too large, ...). */
  error?: string;
  /** When it was handed to the client, ms since the Unix epoch. */
  createdAt: number;
}

export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'connected'; roomId: string; epoch: number }
  | { state: 'reconnecting'; reason: string }
  | { state: 'offline'; reason: string }
  | { state: 'closed' };

export interface Member {
  memberId: number;
  id: string;
  name: string;
  presence: 'online' | 'away';
  /** Its device key's fingerprint, as the relay saw the key proved in the member's handshake: two
   * members with one fingerprint are two windows or runs of one device, and two with the same (or a
   * look-alike) name but different fingerprints are different devices. Absent where no key is known. */
  fingerprint?: string;
  /** The key itself (base64url of its 32 bytes), for pinning name to key. */
  key?: string;
}

/** The client's timers: defaults, bounds and what each is for are in CLIENT_TIMER_OPTIONS (options.ts). */
export type ClientTimers = OptionValues<typeof CLIENT_TIMER_OPTIONS>;

export interface ClientOptions {
  server: Address;
  /** Other relays of the same room (issue 15: a cluster's), tried in order after `server` when the
   * relay in use goes silent; each is checked as `server` is (relayPins, relayFingerprints,
   * acceptRelayKey). Relays the joined relay names (packet Relays) are added, each pinned to the key it
   * was named with. The client resumes there: the same room, its last seq, its unacknowledged
   * messages under the same msgIds. Without it (or empty) the client rejoins `server` only, as before. */
  servers?: Address[];
  name: string;
  /** Keep the same id across restarts (the extension persists it); random if absent. */
  clientId?: string;
  /** Next msgId to use (the extension persists it with its pending messages). Default 1. */
  firstMsgId?: number;
  /** Messages accepted earlier but not yet delivered (the extension keeps them across reloads): sent
   * again with the same msgId, so the relay's de-duplication keeps them from appearing twice. */
  restore?: { msgId: number; body: SendableBody; createdAt: number }[];
  /** Resume a room: its id and the last seq already delivered, so only the missing part is fetched. */
  resume?: { roomId: string; lastSeq: number };
  /** Ask for and track the member list (default true). */
  wantsRoster?: boolean;
  /** Ask for who is typing and how far each member has seen ('typing' and 'seen' events; default false). */
  activity?: boolean;
  /** Fragments in flight at once. Default 64. */
  window?: number;
  timers?: ClientTimers;
  /** Bind the client socket here (default: an ephemeral port on the wildcard of the server's family). */
  bind?: Partial<Address>;
  /** This device's identity (protocol 2 signs the handshake with it). Default: the one in
   * identityStore, made there on first use; else a new one for this client only. */
  identity?: DeviceIdentity;
  identityStore?: TextStore;
  /** Where relay keys are pinned per address (known_relays). Default: no pinning. */
  relayPins?: TextStore;
  /** A relay key fingerprint to trust for this address even if another one is pinned (it replaces the pin). */
  acceptRelayKey?: string;
  /** A sealed room's 32-byte secret (from its invite link): every join proves it to the relay, which
   * refuses a member without it. Never sent: the relay sees a proof bound to the handshake. */
  roomSecret?: Uint8Array;
  /** The relay key fingerprints an invite link names: the relay must present one of them, pinned or
   * not (a different key fails the join as a changed key does). */
  relayFingerprints?: string[];
  /** The room to join (issue 11; lower case, 1..64 of a-z 0-9 . _ -). Default: the relay's default room. */
  room?: string;
  /** Create the room if the relay has none of that name (sealed iff roomSecret is given); else a join. */
  create?: boolean;
  /** A direct-message room's two device keys (sent sorted): only with a `dm-` room. */
  dmKeys?: [Uint8Array, Uint8Array];
  /** Where a sealed room's secrets by epoch are kept (identity/keyring.ts): epochs learnt from a rekey
   * (issue 9) stay readable across restarts. In memory only without one. */
  keyring?: Keyring;
}

export interface ClientEvents {
  /** A room message, in seq order, exactly once. `backfill` is true for history fetched on join. */
  message: [msg: RoomMessage, info: { backfill: boolean }];
  /** An outgoing message changed state. */
  delivery: [msg: OutgoingMessage];
  state: [state: ConnectionState];
  /** The member list changed (only with wantsRoster). */
  members: [members: Member[]];
  joined: [member: Member];
  left: [member: Member];
  /** Messages that could not be recovered (older than the relay's history). */
  lost: [count: number, range: { fromSeq: number; toSeq: number }];
  /** Something odd but survivable: a bad datagram, a slow-down, ... */
  warning: [err: Error];
  /** (With `activity`) member `id` is typing: say so for a few seconds. */
  typing: [id: string];
  /** (With `activity`) member `id` has seen the room up to `seq` (shown to them, not merely received). */
  seen: [id: string, seq: number];
  /** (With `activity`, in rooms of more than 50) `count` members have seen the room up to `seq` or further. */
  seenCount: [seq: number, count: number];
  /** (issue 11) A member just opened a DM with this device (the relay says who; the room name is
   * checked to be the DM of the two keys). Join it with openDm to read it. */
  dmOpened: [dm: { room: string; key: string; fingerprint: string; name: string }];
}

/** The relay's limits: defaults, bounds, flags and what each is for are in RELAY_LIMIT_OPTIONS (options.ts). */
export type RelayLimits = OptionValues<typeof RELAY_LIMIT_OPTIONS>;

/** The relay's timers: likewise in RELAY_TIMER_OPTIONS (options.ts). */
export type RelayTimers = OptionValues<typeof RELAY_TIMER_OPTIONS>;

export interface RelayOptions {
  host?: string; // default 127.0.0.1
  port?: number; // default 2410; 0 picks a free one
  /** Append sequenced messages here before acknowledging them, and reload them at start. */
  store?: string;
  /** fsync each append (survives power loss, not just a killed process). Default false. */
  fsync?: boolean;
  /** Take the original Python chat's plain `name: text` datagrams into the room, marked unverified.
   * Default false: a seed datagram is dropped and counted (legacyDropped). legacyBroadcast implies it. */
  legacyBridge?: boolean;
  /** Re-broadcast every room message as plain `name: text` to this address on the relay's port. */
  legacyBroadcast?: string;
  /** Share the port with seed clients (SO_REUSEPORT). Default: on when legacyBroadcast is set. */
  reusePort?: boolean;
  limits?: RelayLimits;
  timers?: RelayTimers;
  /** The relay's long-term Ed25519 key (protocol 2), which clients pin: the CLI keeps it in the
   * store folder or the user's config folder. Without one, a new key for this process only. */
  key?: SigningKey;
  /** Where to keep that key (made on first start, 0600) when `key` is not given. */
  keyFile?: string;
  /** A sealed room's verifier (32 bytes, sealed-room.ts roomVerifier): only members whose Hello proves
   * the room's secret get in; the others are refused (reason Sealed). The relay cannot read the room
   * with it. Absent: an open room. */
  roomVerifier?: Uint8Array;
  /** The device key that may rotate the sealed default room's key (issue 9): the identity of whoever
   * started the relay (the CLI's for `relay --sealed`, the extension's for Start Server). Without one,
   * nobody can. */
  roomCreator?: Uint8Array;
  /** Share rooms with other relays through NATS JetStream (issue 15, docs/CLUSTER.md): the relay becomes a
   * gateway, and its rooms' seqs, history and presence live in the cluster. Absent: a relay of its own. */
  cluster?: RelayClusterOptions;
}

/** How a relay joins a cluster (issue 15). */
export interface RelayClusterOptions {
  /** nats:// URLs (parseClusterServers checks them). */
  servers: string[];
  /** Credentials, from a file or the environment, never the command line. */
  auth?: ClusterAuth;
  /** Copies of each room's stream: 1 (one NATS server), or 3 (a 3-server cluster, which outlives a server). Default 1. */
  replicas?: 1 | 3;
  /** Where this relay's members reach it (host:port), which it tells the other relays and its members for
   * failover. Default: the address it is bound to, unless that is a wildcard (then members learn of no other). */
  advertise?: Address;
  /** How long a member's presence outlives its relay's last refresh. Default 15 s. */
  presenceTtlMs?: number;
}

/** A room of a relay, as its Rooms list shows it (issue 11). */
export interface RoomInfo {
  name: string;
  sealed: boolean;
  /** A direct-message room (listed only to its two members). */
  dm: boolean;
  members: number;
  headSeq: number;
}

export interface RelayStats {
  /** The default room's members and head. */
  members: number;
  headSeq: number;
  /** Rooms the relay serves, the default one included. */
  rooms?: number;
  datagramsIn: number;
  datagramsOut: number;
  bytesIn: number;
  bytesOut: number;
  malformed: number;
  legacyIn: number;
  /** Seed datagrams dropped because the legacy bridge is off. */
  legacyDropped: number;
  rateLimited: number;
  retransmitsServed: number;
  /** Datagrams that did not open under their session (forged, corrupted, replayed): dropped. */
  unauthenticated: number;
}

export interface RelayEvents {
  /** A message was sequenced (and stored) in `room`. */
  message: [msg: RoomMessage & { room: string }];
  joined: [member: Member & { address: Address; room: string }];
  left: [member: Member & { reason: 'leave' | 'timeout'; room: string }];
  /** A bad datagram or a limit hit: never fatal. */
  warning: [err: Error];
  /** The store stopped taking writes (a full disk: messages are refused) or takes them again; once
   * per episode, for the operator, where 'warning' comes per datagram. */
  store: [state: { writing: boolean; detail: string }];
  /** A seed (`name: text`) datagram arrived while the legacy bridge is off: it was dropped. Once per
   * relay, for the operator: the bridge is off by default, and this says someone wants it. */
  legacyDropped: [from: Address];
}

// Files (issue 14): ChatClient.sendFile and fetchFile.
export type { FileTransfer, TransferOptions } from './transfer/base';
export type { FileToSend } from './transfer/transfers';
export { MAX_FILE_BYTES, type FileBody, type FileInfo } from '../common/message';
