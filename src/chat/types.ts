// The chat engine's public vocabulary: what the relay and the client take and emit. The extension,
// the CLI and the tests use only these names (plus the two classes) from `src/chat`.
import type { MessageBody } from '../protocol/packets';

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
}

/** A message as the room sequenced it. */
export type RoomMessage = MessageBody & {
  seq: number;
  /** Relay time in ms since the Unix epoch. */
  time: number;
  /** The sender's own id for this message (unique per sender id). */
  msgId: number;
  sender: Sender;
};

export type DeliveryState = 'queued' | 'sending' | 'delivered' | 'failed';

/** A message this client sends, as it travels. */
export interface OutgoingMessage {
  msgId: number;
  body: MessageBody;
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
}

export interface ClientTimers {
  /** Give up the first join after this long: the relay is unreachable. Default 5000. */
  joinTimeoutMs?: number;
  /** Heartbeat period; the relay may ask for another in Welcome. Default 5000. */
  heartbeatMs?: number;
  /** Lowest retransmission timeout (RFC 9002 max_ack_delay). Default 25. Not below 25 outside tests. */
  ptoFloorMs?: number;
  /** Highest retransmission timeout after doubling. Default 2000. */
  ptoMaxMs?: number;
  /** Initial RTT before any sample (RFC 9002 kInitialRtt). Default 333. */
  initialRttMs?: number;
  /** Unanswered probes in a row after which the relay counts as lost. Default 6. */
  maxProbes?: number;
  /** Rejoin backoff: first delay and the cap. Defaults 250 and 5000. */
  rejoinMinMs?: number;
  rejoinMaxMs?: number;
}

export interface ClientOptions {
  server: Address;
  name: string;
  /** Keep the same id across restarts (the extension persists it); random if absent. */
  clientId?: string;
  /** Next msgId to use (the extension persists it with its pending messages). Default 1. */
  firstMsgId?: number;
  /** Messages accepted earlier but not yet delivered (the extension keeps them across reloads): sent
   * again with the same msgId, so the relay's de-duplication keeps them from appearing twice. */
  restore?: { msgId: number; body: MessageBody; createdAt: number }[];
  /** Resume a room: its id and the last seq already delivered, so only the missing part is fetched. */
  resume?: { roomId: string; lastSeq: number };
  /** Ask for and track the member list (default true). */
  wantsRoster?: boolean;
  /** Fragments in flight at once. Default 64. */
  window?: number;
  timers?: ClientTimers;
  /** Bind the client socket here (default: an ephemeral port on the wildcard of the server's family). */
  bind?: Partial<Address>;
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
}

export interface RelayLimits {
  /** Members at once. Default 4096. */
  maxMembers?: number;
  /** Messages a member may send per second (token bucket rate) and burst. Defaults 50 and 200. */
  memberMessagesPerSecond?: number;
  memberBurst?: number;
  /** Datagrams one source address may send per second, and burst. Defaults 2000 and 4000. */
  addressPacketsPerSecond?: number;
  addressBurst?: number;
  /** Partly received messages per member, and bytes of them across the relay. Defaults 8 and 32 MiB. */
  pendingMessagesPerMember?: number;
  pendingBytes?: number;
  /** Messages kept for gap repair, and their bytes. Defaults 4096 and 64 MiB. */
  historyMessages?: number;
  historyBytes?: number;
  /** Messages a new member gets as backfill. Default 200. */
  backfillMessages?: number;
  /** Unvalidated addresses tracked for the amplification bound. Default 65536. */
  unvalidatedAddresses?: number;
}

export interface RelayTimers {
  /** Heartbeat period the relay asks of members. Default 5000. */
  heartbeatMs?: number;
  /** Missed heartbeats before a member is dropped. Default 3 (so ~15 s). */
  leaseBeats?: number;
  /** How long a partly received message may wait for its other fragments. Default 10000. */
  reassemblyMs?: number;
  /** Cookie lifetime. Default 60000. */
  cookieMs?: number;
}

export interface RelayOptions {
  host?: string; // default 127.0.0.1
  port?: number; // default 2410; 0 picks a free one
  /** Append sequenced messages here before acknowledging them, and reload them at start. */
  store?: string;
  /** fsync each append (survives power loss, not just a killed process). Default false. */
  fsync?: boolean;
  /** Re-broadcast every room message as plain `name: text` to this address on the relay's port. */
  legacyBroadcast?: string;
  /** Share the port with seed clients (SO_REUSEPORT). Default: on when legacyBroadcast is set. */
  reusePort?: boolean;
  limits?: RelayLimits;
  timers?: RelayTimers;
}

export interface RelayStats {
  members: number;
  headSeq: number;
  datagramsIn: number;
  datagramsOut: number;
  bytesIn: number;
  bytesOut: number;
  malformed: number;
  legacyIn: number;
  rateLimited: number;
  retransmitsServed: number;
}

export interface RelayEvents {
  /** A message was sequenced (and stored). */
  message: [msg: RoomMessage];
  joined: [member: Member & { address: Address }];
  left: [member: Member & { reason: 'leave' | 'timeout' }];
  /** A bad datagram or a limit hit: never fatal. */
  warning: [err: Error];
}
