// The packets of WhatsUDP protocol version 1, as values. `codec.ts` turns them into bytes and back.
// docs/PROTOCOL.md is the prose version of this file; keep the two in step.

/** First byte of every WhatsUDP datagram. 0xF5..0xFF never occur in UTF-8, so no seed datagram
 * (plain UTF-8 `name: text`) can be taken for one of ours, and none of ours for text. */
export const MAGIC = 0xf9;
export const VERSION = 1;

/** Largest datagram either side sends: fits a 1280-byte IPv6 minimum MTU with room for headers. */
export const MAX_DATAGRAM = 1200;

/** Largest packet the engine makes: it still fits MAX_DATAGRAM once sealed in a protocol 2 session
 * (35 bytes of prefix, packet number and tag, src/protocol/v2.ts). */
export const MAX_PACKET = MAX_DATAGRAM - 35;

/** The relay's port unless told otherwise: the original chat's, so its programs find ours. */
export const DEFAULT_PORT = 2410;
export { MAX_TEXT_BYTES, MAX_NAME_CHARS, MAX_PATH_BYTES, MAX_LANGUAGE_BYTES, type MessageBody, type MessageKind, type SendableBody } from '../common/message';
export const COOKIE_BYTES = 16;
export const CLIENT_ID_BYTES = 8;

export enum PacketType {
  Hello = 1,
  Retry = 2,
  Welcome = 3,
  Data = 4,
  Ack = 5,
  Msg = 6,
  Resend = 7,
  Gone = 8,
  Ping = 9,
  Pong = 10,
  RosterRequest = 11,
  Roster = 12,
  Leave = 13,
  NotJoined = 14,
  Refused = 15,
  SlowDown = 16,
  /** Ephemeral member activity (protocol 2, issue 13): only to members whose Hello asked for it. */
  Typing = 17,
  Seen = 18,
  SeenCount = 19,
  /** Rooms (issue 11): the rooms a relay serves, and a device's certified X25519 key (for DMs). */
  RoomsRequest = 20,
  Rooms = 21,
  KeyRequest = 22,
  Key = 23,
  /** relay -> client: a DM with this device was just made (so it shows at once, not at the next list). */
  DmOpened = 24,
  /** Files (issue 14, docs/PROTOCOL.md "Files"): a chunk (in a BULK frame only, both ways), the relay's
   * acks and status, a client's request for chunks, an uploader giving up. */
  FileChunk = 25,
  FileAck = 26,
  FileGet = 27,
  FileStatus = 28,
  FileCancel = 29,
  /** relay -> client (issue 15, docs/CLUSTER.md): the relays that serve this room too, each with its key,
   * so a member fails over to one without meeting an unpinned key. Sent after a Welcome. */
  Relays = 30,
}

/** What fragment 0 of a message carries besides its first chunk: the body without its text. A kind
 * this version does not know (`other`, with its kind byte as `code`) has no head fields beyond kind
 * and totalBytes: a later kind carries whatever else it needs inside its message bytes, so every
 * version can skip it, and a relay sequences it unchanged (docs/PROTOCOL.md, "Message kinds"). */
export type MessageHead = (
  | { kind: 'text'; totalBytes: number }
  | { kind: 'snippet'; totalBytes: number; path: string; startLine: number; endLine: number; language: string }
  | { kind: 'other'; code: number; totalBytes: number }
) & {
  /** The author's signature (protocol 2): its device key (32 bytes) then the Ed25519 signature (64)
   * over the room, the author's session id, the msgId, the kind and the whole body
   * (message-signature.ts). Absent only for a seed client's line the relay sequenced. */
  auth?: Buffer;
};

/** A message's signature block: the device public key, then the signature. */
export const MESSAGE_AUTH_BYTES = 96;

export enum HelloFlags {
  /** The client wants the member list (bots and benchmarks say no, which saves the relay work). */
  WantsRoster = 1,
  /** The client wants Typing and Seen (a panel does; a bot or a version before them does not). */
  WantsActivity = 2,
}

/** client -> relay: join (or rejoin) the room. Without a valid cookie the relay answers Retry. */
export interface Hello {
  type: PacketType.Hello;
  clientId: Buffer; // CLIENT_ID_BYTES, chosen by the client, stable across rejoins
  name: string;
  flags: number; // HelloFlags
  /** The room the client last saw (0 if none) and the last seq it delivered there, to resume. */
  roomId: bigint;
  lastSeq: number;
  /** The oldest msgId of this client not yet sequenced (or the next one it will use): the relay
   * sequences this client's messages in msgId order from there, so a sender's order survives loss. */
  firstUnacked: number;
  cookie: Buffer; // empty on the first try
}

/** relay -> client: prove you own your address by echoing this cookie in a second Hello. */
export interface Retry {
  type: PacketType.Retry;
  cookie: Buffer;
}

/** relay -> client: joined. The client then pulls [from, headSeq] with Resend, in windows. */
export interface Welcome {
  type: PacketType.Welcome;
  roomId: bigint; // stable for a room (persisted with --store); a new one means history starts over
  epoch: number; // changes every time the relay process starts
  headSeq: number; // newest sequenced message, 0 if none
  fromSeq: number; // first seq the client should fetch (backfill or resume point)
  lostCount: number; // messages the client missed that are older than the relay's history
  memberId: number; // the relay's short id for this member
  rosterVersion: number;
  heartbeatMs: number; // how often the relay expects a Ping
}

/** client -> relay: one fragment of a message the client wants sequenced. */
export interface Data {
  type: PacketType.Data;
  clientId: Buffer;
  msgId: number; // u32, per client, increasing
  fragIndex: number;
  fragCount: number;
  /** Present on fragment 0 only: what kind of message and its total size. */
  head?: MessageHead;
  chunk: Buffer;
}

/** relay -> client: fragment received; seq != 0 once the whole message is sequenced (and stored). */
export interface Ack {
  type: PacketType.Ack;
  msgId: number;
  fragIndex: number;
  seq: number;
  epoch: number;
}

export enum SenderFlags {
  /** Came from a seed (legacy) client as plain text: the name is whatever it claimed. */
  Legacy = 1,
}

/** relay -> members: one fragment of a sequenced room message. */
export interface Msg {
  type: PacketType.Msg;
  seq: number;
  time: number; // relay's clock, ms since the Unix epoch
  senderId: Buffer; // CLIENT_ID_BYTES (zeros for legacy senders)
  senderFlags: number; // SenderFlags
  name: string;
  msgId: number;
  fragIndex: number;
  fragCount: number;
  head?: MessageHead;
  chunk: Buffer;
  /** Set by decode on a first fragment whose head does not decode (why, and no head): its seq is
   * still known, so a client shows a placeholder there rather than asking for it for ever. */
  undecodable?: string;
}

/** client -> relay: please send again seqs [fromSeq, toSeq] (gap repair and backfill). */
export interface Resend {
  type: PacketType.Resend;
  fromSeq: number;
  toSeq: number;
}

/** relay -> client: seqs [fromSeq, toSeq] are older than the relay's history and cannot be sent. */
export interface Gone {
  type: PacketType.Gone;
  fromSeq: number;
  toSeq: number;
}

/** client -> relay heartbeat. */
export interface Ping {
  type: PacketType.Ping;
  nonce: number;
}

/** relay -> client: heartbeat answer, with what the client needs to notice a lost tail or roster change. */
export interface Pong {
  type: PacketType.Pong;
  nonce: number;
  epoch: number;
  headSeq: number;
  rosterVersion: number;
  /** The heartbeat period the relay now asks for: it grows with the room, so that a big room's
   * idle members cost the relay a bounded number of pings a second. */
  heartbeatMs: number;
}

export interface RosterRequest {
  type: PacketType.RosterRequest;
  version: number; // the version the client has
}

export enum Presence {
  Online = 0,
  Away = 1, // missed a heartbeat; dropped after the lease runs out
}

export interface RosterEntry {
  memberId: number;
  clientId: Buffer;
  name: string;
  presence: Presence;
  /** The member's device key (protocol 2), as its handshake proved it to the relay; all zeros if none. */
  key: Buffer;
}

export const ROSTER_KEY_BYTES = 32;

/** relay -> client: one page of the member list at `version`. */
export interface Roster {
  type: PacketType.Roster;
  version: number;
  page: number;
  pageCount: number;
  entries: RosterEntry[];
}

export interface Leave {
  type: PacketType.Leave;
  clientId: Buffer;
}

/** relay -> an address it does not know as a member (e.g. after a restart): join first. */
export interface NotJoined {
  type: PacketType.NotJoined;
  epoch: number;
}

/** Why the relay refused. (1 is not used: an oversized message fails to decode, so it is Malformed.) */
export enum RefuseReason {
  BadName = 2,
  RoomFull = 3,
  Malformed = 4,
  /** The relay could not store the message (its disk is full or failing); sending it again may work. */
  NotStored = 5,
  /** The relay speaks a later protocol than this Hello (a protocol 1 Hello at a protocol 2 relay). */
  Upgrade = 6,
  /** A sealed room, and the Hello proves no secret of it (no invite link, or another room's). */
  Sealed = 7,
  /** Rooms (issue 11): the Hello names a room this relay does not have (and does not ask to create it). */
  NoSuchRoom = 8,
  /** The relay serves as many rooms as it may: no new one. */
  TooManyRooms = 9,
  /** A direct-message room of two other device keys. */
  NotYours = 10,
  /** A sealed room whose key was rotated without this member (issue 9). */
  Removed = 11,
}

/** relay -> client: the relay will not take this Hello or message. */
export interface Refused {
  type: PacketType.Refused;
  reason: RefuseReason;
  msgId: number; // 0 when it is about a Hello
  detail: string;
}

/** relay -> client: you are over the rate limit; wait this long before sending more. */
export interface SlowDown {
  type: PacketType.SlowDown;
  retryAfterMs: number;
}

/** How often a member's Typing is sent, and passed on, at most. */
export const TYPING_EVERY_MS = 1000;

/** client -> relay: this member is typing (sent at most every few seconds while it types);
 * relay -> members: `clientId` is typing. Never stored, never acknowledged. */
export interface Typing {
  type: PacketType.Typing;
  clientId: Buffer;
}

/** client -> relay: this member has seen the room up to `seq` (shown to a person, not merely
 * received); relay -> members: `clientId` has seen up to `seq`. Ephemeral, as presence is. */
export interface Seen {
  type: PacketType.Seen;
  clientId: Buffer;
  seq: number;
}

/** relay -> members, in rooms of more than 50: `count` members have seen the room up to `seq` (the
 * room's newest message when sent) or further. What larger rooms show instead of names. */
export interface SeenCount {
  type: PacketType.SeenCount;
  seq: number;
  count: number;
}

/** One room in a Rooms page (rooms.ts reads and writes it; RoomFlags there). */
export interface RoomEntry {
  name: string;
  flags: number; // RoomFlags: 1 sealed, 2 DM
  members: number;
  headSeq: number;
}

/** client -> relay: which rooms do you serve? */
export interface RoomsRequest {
  type: PacketType.RoomsRequest;
}

/** relay -> client: one page of the rooms list (a DM room only to its two members). */
export interface Rooms {
  type: PacketType.Rooms;
  page: number;
  pageCount: number;
  entries: RoomEntry[];
}

export const DEVICE_KEY_BYTES = 32;
export const DH_CERTIFICATE_BYTES = 64;

/** client -> relay: the certified X25519 key of this device key, if the relay has seen it. */
export interface KeyRequest {
  type: PacketType.KeyRequest;
  deviceKey: Buffer; // 32
}

/** relay -> client: the answer; the client checks the certificate before using the key. */
export interface Key {
  type: PacketType.Key;
  deviceKey: Buffer; // 32
  found?: { x25519: Buffer; certificate: Buffer };
}

/** relay -> client, to each session of a DM's other device when the DM room is made: its name, and who
 * made it (the key the relay saw proved, the name that member had). A hint to list the rooms and open
 * the DM; joining it still takes the DM's secret, which only the two devices can compute. */
export interface DmOpened {
  type: PacketType.DmOpened;
  room: string;
  byKey: Buffer; // 32
  byName: string;
}

export const FILE_ID_BYTES = 16;
/** Ranges of chunks one FileAck, FileGet or FileStatus names at most. */
export const MAX_FILE_RANGES = 64;

/** Chunks `from` .. `from + count - 1` of a file (count 1..65535). */
export interface FileRange {
  from: number;
  count: number;
}

/** One chunk of a file as stored (ciphertext and tag, src/protocol/files.ts): client -> relay an upload,
 * relay -> client a download. Travels only in a BULK frame (v2.ts). */
export interface FileChunk {
  type: PacketType.FileChunk;
  fileId: Buffer; // 16
  chunks: number;
  index: number;
  data: Buffer;
}

/** relay -> client: these chunks of an upload are stored. */
export interface FileAck {
  type: PacketType.FileAck;
  fileId: Buffer;
  ranges: FileRange[];
}

/** client -> relay: send me these chunks; no ranges: just say the file's status. */
export interface FileGet {
  type: PacketType.FileGet;
  fileId: Buffer;
  ranges: FileRange[];
}

export enum FileState {
  Gone = 1,
  Refused = 2,
  Partial = 3,
  Complete = 4,
}

/** relay -> client: what the relay has of a file (`missing`: the first ranges it lacks, when Partial). */
export interface FileStatus {
  type: PacketType.FileStatus;
  fileId: Buffer;
  state: FileState;
  chunks: number;
  missing: FileRange[];
  detail: string;
}

/** client -> relay: the uploader gives up; the relay deletes what it has of the upload. */
export interface FileCancel {
  type: PacketType.FileCancel;
  fileId: Buffer;
}

/** One relay of a clustered room: where members reach it and its long-term Ed25519 key. */
export interface RelayEntry {
  host: string;
  port: number;
  key: Buffer;
}

/** At most this many relays in one Relays packet (it fits one datagram with room to spare). */
export const MAX_RELAY_ENTRIES = 8;

export interface Relays {
  type: PacketType.Relays;
  relays: RelayEntry[];
}

export type Packet =
  | Relays
  | FileChunk
  | FileAck
  | FileGet
  | FileStatus
  | FileCancel
  | DmOpened
  | RoomsRequest
  | Rooms
  | KeyRequest
  | Key
  | SeenCount
  | Typing
  | Seen
  | Hello
  | Retry
  | Welcome
  | Data
  | Ack
  | Msg
  | Resend
  | Gone
  | Ping
  | Pong
  | RosterRequest
  | Roster
  | Leave
  | NotJoined
  | Refused
  | SlowDown;
