// Every limit and timer of the relay and the client, written once: its default, the least value
// that works, its command-line flag and its help line. The option types (types.ts), the defaults
// the code runs with (limits.ts), the relay's check, the CLI's parser and --help, and the tables in
// docs/PROTOCOL.md are all derived from these tables, so a new limit is one entry here.
import { ChatError } from './errors';

export interface NumberOption {
  /** What the code uses when the option is not given. */
  readonly default: number;
  /** The least value that works: the CLI's parser and the relay's check both refuse less. */
  readonly min: number;
  /** The most the CLI takes, where more makes no sense (Node fires longer timers at once). */
  readonly max?: number;
  /** The flag that sets it (`whatsudp relay` for the relay's, `whatsudp chat` for the client's). */
  readonly flag?: string;
  /** One line for --help and docs/PROTOCOL.md, lower case, without the default. */
  readonly help: string;
  /** How the default reads: bytes as MiB, ms as ms. */
  readonly unit?: 'bytes' | 'ms';
}

export type OptionTable = Readonly<Record<string, NumberOption>>;

/** The values a caller may give for a table: each optional, each keeping the table's doc comment. */
export type OptionValues<T extends OptionTable> = { -readonly [K in keyof T]?: number };

const MiB = 1024 * 1024;
/** Longest setTimeout Node honours (2^31 - 1 ms); an hour is the most any CLI wait needs. */
const HOUR_MS = 3_600_000;

// The doc comments say what each option is for; its numbers are in the entry only, never in prose,
// so the two cannot disagree again.
export const RELAY_LIMIT_OPTIONS = {
  /** Members at once in one room; a Hello beyond it is refused as "room full". */
  maxMembers: { default: 4096, min: 1, flag: 'max-members', help: 'members at once in each room' },
  /** Rooms the relay serves at once, the default one included; a Hello asking to create one more is refused. */
  maxRooms: { default: 256, min: 1, flag: 'max-rooms', help: 'rooms at once, the default room included' },
  /** Rooms (direct messages included) that members on one host (an IPv6 /64) may create, so one machine cannot take every room there is; counted since the relay started. */
  roomsPerHost: { default: 32, min: 1, flag: 'rooms-per-host', help: 'rooms members on one host may create (IPv6: one /64), since the relay started' },
  /** Members from one host (an IPv6 /64 counts as one host), in all rooms together; a terminal server hosts several people. */
  membersPerHost: { default: 64, min: 1, flag: 'members-per-host', help: 'members at once from one host, in all rooms (IPv6: one /64)' },
  /** Messages a member may send per second (token bucket rate); above it the relay sends SlowDown. */
  memberMessagesPerSecond: { default: 50, min: 1, flag: 'rate', help: 'messages per second a member may send' },
  /** The bucket's size: messages a member may send at once after a quiet spell. */
  memberBurst: { default: 200, min: 1, flag: 'burst', help: 'messages a member may send at once' },
  /** Datagrams one source address may send per second; more are dropped before decoding. */
  addressPacketsPerSecond: { default: 2000, min: 1, flag: 'address-rate', help: 'datagrams per second from one address' },
  /** Datagrams one source address may send at once. */
  addressBurst: { default: 4000, min: 1, flag: 'address-burst', help: 'datagrams at once from one address' },
  /** Datagrams one source host (all its addresses; an IPv6 /64) may send per second; more are dropped
   * before decoding. Its default is FULL_RATE_MEMBERS_PER_HOST (10) times addressPacketsPerSecond,
   * shown here for the default address rate. */
  hostPacketsPerSecond: { default: 20000, min: 1, flag: 'host-rate', help: 'datagrams per second from one host (IPv6: one /64); 10x --address-rate when not given' },
  /** Datagrams one host may send at once; 10 times addressBurst when not given. */
  hostPacketBurst: { default: 40000, min: 1, flag: 'host-burst', help: 'datagrams at once from one host; 10x --address-burst when not given' },
  /** Messages all of one host's members together may send per second; 10 times memberMessagesPerSecond
   * when not given, so ten members of a terminal server may all send at their own full rate. */
  hostMessagesPerSecond: { default: 500, min: 1, flag: 'host-message-rate', help: 'messages per second from one host; 10x --rate when not given' },
  /** Messages one host's members may send at once; 10 times memberBurst when not given. */
  hostMessageBurst: { default: 2000, min: 1, flag: 'host-message-burst', help: 'messages at once from one host; 10x --burst when not given' },
  /** Hosts without members whose rates the relay tracks (those with members are always tracked). */
  trackedHosts: { default: 65536, min: 1, flag: 'tracked-hosts', help: 'hosts without members whose rates are tracked' },
  /** Messages kept for gap repair and backfill (the history ring, and what is reloaded from a store). */
  historyMessages: { default: 4096, min: 1, flag: 'history', help: 'messages kept for repair and backfill' },
  /** Bytes of text the history ring may hold. */
  historyBytes: { default: 64 * MiB, min: 1, flag: 'history-bytes', help: 'bytes the kept messages may take', unit: 'bytes' },
  /** The same for each room but the default one (issue 11): members make those, up to maxRooms, so
   * their history together stays a bounded share of the relay's memory (and a store's disk: twice this each). */
  roomHistoryBytes: { default: 4 * MiB, min: 1, flag: 'room-history-bytes', help: 'bytes the kept messages of each other room may take (members make those)', unit: 'bytes' },
  /** Bytes the --store's files may take while running; the oldest go first. Its default is twice
   * historyBytes (so what a restart reads back fits with room to spare), shown here for the default
   * history. The least holds a few of the largest messages in each of the store's eight segments. */
  storeBytes: { default: 128 * MiB, min: 1 * MiB, flag: 'store-bytes', help: 'bytes the --store may take on disk; 2x --history-bytes when not given', unit: 'bytes' },
  /** Recent messages a new member gets on joining; 0 gives it none, only what is sent after. */
  backfillMessages: { default: 200, min: 0, flag: 'backfill', help: 'messages a new member gets (0: none)' },
  /** Partly received (fragmented) messages per member. */
  pendingMessagesPerMember: { default: 8, min: 1, flag: 'pending-messages', help: 'partly received messages per member' },
  /** Bytes of partly received messages, and of whole ones waiting for an earlier one, across the relay
   * (each fragment counted with its bookkeeping, checked on every fragment). */
  pendingBytes: { default: 32 * MiB, min: 1, flag: 'pending-bytes', help: 'bytes of partly received and waiting messages in all', unit: 'bytes' },
  /** The same, per member: one member's backlog cannot fill the relay-wide cap and stall the others. */
  memberPendingBytes: { default: 1 * MiB, min: 1, flag: 'pending-per-member', help: 'bytes of partly received and waiting messages per member', unit: 'bytes' },
  /** Bytes a second the relay sends one member beyond the room's traffic (repairs of seqs asked for
   * again, roster pages); a Resend that moves past what was repaired gives its bytes back (budget.ts). */
  repairBytesPerSecond: { default: 512 * 1024, min: 2048, flag: 'repair-rate', help: 'bytes per second of repairs and roster pages per member', unit: 'bytes' },
  /** The most of those a member gets at once: a whole roster of a full room, and then some. */
  repairBurstBytes: { default: 1 * MiB, min: 2048, flag: 'repair-burst', help: 'bytes of repairs and roster pages a member may get at once', unit: 'bytes' },
  /** Bytes the relay's file store may take (issue 14: memory, or disk with --store), apart from the
   * text history: a new file pushes the oldest files out, never a message. */
  fileStoreBytes: { default: 256 * MiB, min: 1 * MiB, flag: 'file-store-bytes', help: 'bytes of files the relay keeps (in memory, or on disk with --store); the oldest go first', unit: 'bytes' },
  /** File bytes a second each member may send the relay, and may be sent, before opening (BULK). */
  fileBytesPerSecond: { default: 32 * MiB, min: 2048, flag: 'file-rate', help: 'bytes per second of file chunks per member, each way', unit: 'bytes' },
  fileBurstBytes: { default: 4 * MiB, min: 2048, flag: 'file-burst', help: 'bytes of file chunks a member may send or be sent at once', unit: 'bytes' },
  /** Uploads one member may have in progress at once. */
  uploadsPerMember: { default: 4, min: 1, flag: 'uploads-per-member', help: 'file uploads in progress at once per member' },
  /** Addresses not yet validated by a cookie that the relay tracks for its amplification bound. */
  unvalidatedAddresses: { default: 65536, min: 1, help: 'unvalidated addresses tracked for the amplification bound' },
} as const satisfies OptionTable;

export const RELAY_TIMER_OPTIONS = {
  /** Heartbeat period asked of members (it grows in rooms of more than 500 members). */
  heartbeatMs: { default: 5000, min: 100, flag: 'heartbeat-ms', help: 'heartbeat period asked of members', unit: 'ms' },
  /** Heartbeats a member may miss before it is dropped. */
  leaseBeats: { default: 3, min: 1, flag: 'lease-beats', help: 'missed heartbeats before a member is dropped' },
  /** How long a partly received message may wait for its other fragments. */
  reassemblyMs: { default: 10000, min: 100, flag: 'reassembly-ms', help: 'how long a partly received message may wait', unit: 'ms' },
  /** How long a join cookie stays valid. */
  cookieMs: { default: 60000, min: 1000, flag: 'cookie-ms', help: 'join cookie lifetime', unit: 'ms' },
} as const satisfies OptionTable;

// The client does not check these (tests shorten them freely); `min` is what the CLI takes.
export const CLIENT_TIMER_OPTIONS = {
  /** Give up the first join after this long: the relay is unreachable. */
  joinTimeoutMs: { default: 5000, min: 100, max: HOUR_MS, flag: 'join-timeout-ms', help: 'give up when no relay answers within this long', unit: 'ms' },
  /** Heartbeat period until the relay's Welcome asks for another. */
  heartbeatMs: { default: 5000, min: 100, help: 'heartbeat period until the relay asks for another', unit: 'ms' },
  /** Lowest retransmission timeout (RFC 9002 max_ack_delay); not to be lowered outside tests. */
  ptoFloorMs: { default: 25, min: 1, help: 'lowest retransmission timeout (RFC 9002 max_ack_delay)', unit: 'ms' },
  /** Highest retransmission timeout after doubling. */
  ptoMaxMs: { default: 1000, min: 1, help: 'highest retransmission timeout after doubling', unit: 'ms' },
  /** RTT assumed before any sample (RFC 9002 kInitialRtt). */
  initialRttMs: { default: 333, min: 1, help: 'RTT assumed before any sample (RFC 9002 kInitialRtt)', unit: 'ms' },
  /** Unanswered probes in a row after which the relay counts as lost. */
  maxProbes: { default: 10, min: 1, help: 'unanswered probes in a row after which the relay counts as lost' },
  /** Rejoin backoff: the first delay, doubled on each unanswered try up to rejoinMaxMs. */
  rejoinMinMs: { default: 250, min: 1, help: 'first rejoin delay, doubled on each try', unit: 'ms' },
  /** Rejoin backoff: the longest delay between tries. */
  rejoinMaxMs: { default: 5000, min: 1, help: 'longest rejoin delay', unit: 'ms' },
} as const satisfies OptionTable;

/** The defaults of a table, as the code runs with them. */
export function defaultsOf<T extends OptionTable>(table: T): { -readonly [K in keyof T]: number } {
  return Object.fromEntries(Object.entries(table).map(([key, o]) => [key, o.default])) as { -readonly [K in keyof T]: number };
}

/** A value of this option as people read it: 64 MiB rather than 67108864. `grouped` adds thousands
 * separators. */
export function showValue(o: NumberOption, value: number, grouped = false): string {
  if (o.unit === 'bytes' && value >= MiB && value % MiB === 0) return `${value / MiB} MiB`;
  return grouped ? value.toLocaleString('en-US') : String(value);
}

export const showDefault = (o: NumberOption, grouped = false): string => showValue(o, o.default, grouped);

/** Why `value` cannot be this option, or undefined when it can. Fractions are fine (a rate of 0.5). */
export function optionProblem(o: NumberOption, value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < o.min) return `must be a number of at least ${o.min}, not ${String(value)}`;
  if (o.max !== undefined && value > o.max) return `must be a number of at most ${o.max}, not ${value}`;
  return undefined;
}

/** Checks given values against a table: every key must be the table's, every value within its bounds.
 * Throws a BAD_OPTION ChatError naming the first that is not, as `what.key` (`limits.backfillMessages`). */
export function checkOptions(table: OptionTable, values: object | undefined, what: string): void {
  for (const [key, value] of Object.entries(values ?? {})) {
    if (value === undefined) continue; // not given: the default applies
    const o = Object.hasOwn(table, key) ? table[key] : undefined;
    if (!o) throw new ChatError('BAD_OPTION', `${what}.${key} is not an option; the ${what} are ${Object.keys(table).join(', ')}.`);
    const problem = optionProblem(o, value);
    if (problem) throw new ChatError('BAD_OPTION', `${what}.${key} ${problem}.`);
  }
}

/** The relay's check of its limits and timers: the same bounds the CLI's parser applies. */
export function checkRelayNumbers(opts: { limits?: object; timers?: object }): void {
  checkOptions(RELAY_LIMIT_OPTIONS, opts.limits, 'limits');
  checkOptions(RELAY_TIMER_OPTIONS, opts.timers, 'timers');
}
