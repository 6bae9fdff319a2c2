// Command-line options of `whatsudp relay` and `whatsudp chat`, parsed strictly with node:util's
// parseArgs and checked up front, so a typo is one line on stderr and exit 2, never a half-started relay.
import { isIPv4, isIPv6 } from 'node:net';
import { parseArgs } from 'node:util';
import type { Address, RelayOptions } from '../chat';
import { DEFAULT_PORT, formatAddress, nameProblem, normalizeName, parseAddress } from '../chat';
import { ChatError } from '../chat';
import { isLoopback, PROBE_PORT } from '../chat/discovery';
import { defaultIdentityPath } from '../chat/identity';
import { parseFingerprint } from '../protocol/fingerprint';
import { InviteError, parseInvite, type Invite } from '../protocol/invite';
import { CLUSTER_OPTION_SPEC, relayCluster } from './cluster-args';
import { passphraseOf, roomArgs } from './room-args';
import { CHAT_NUMBER_FLAGS, CHAT_OPTIONS, DISCOVER_NUMBER_FLAGS, DISCOVER_OPTIONS, RELAY_NUMBER_FLAGS, type NumberFlag } from './flags';

export class UsageError extends Error {
  override name = 'UsageError';
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** parseArgs with its long messages cut to their first sentence (the rest tells how to pass `--x`). */
function parse(args: string[], options: OptionSpec): Values {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(message.split(/\.\s/)[0].replace(/\.$/, ''));
  }
}

/** A whole number within the option's bounds, or a UsageError naming the flag and the bounds. */
function wholeNumber(option: string, value: Values[string], min: number, max?: number): number | undefined {
  if (value === undefined || typeof value !== 'string') return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
    const bounds = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${option} must be a whole number ${bounds}, not "${value}"`);
  }
  return n;
}

/** The values of number flags that were given, by where they go (`limits`, `timers`, `chat`). */
function numbers(flags: readonly NumberFlag[], v: Values): Record<NumberFlag['group'], Record<string, number>> {
  const out: Record<NumberFlag['group'], Record<string, number>> = { limits: {}, timers: {}, chat: {}, discover: {} };
  for (const { flag, group, key, option } of flags) {
    const n = wholeNumber(flag, v[flag], option.min, option.max);
    if (n !== undefined) out[group][key] = n;
  }
  return out;
}

const stringFlags = (flags: readonly NumberFlag[]): OptionSpec => Object.fromEntries(flags.map((f) => [f.flag, { type: 'string' as const }]));

function str(value: Values[string]): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Turns a ChatError BAD_OPTION from the shared checks into a usage error naming the option. */
function checked<T>(option: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ChatError) throw new UsageError(`--${option}: ${err.message.replace(/\.$/, '')}`);
    throw err;
  }
}

export function wantsHelp(args: string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}

export interface RelayArgs {
  options: RelayOptions;
  log: boolean;
  /** Announce the relay on its network (mDNS and the broadcast probe): off unless asked. */
  announce: boolean;
  /** A sealed room: only members with its invite link get in (the link is printed once, made). */
  sealed: boolean;
  /** The identity whose device key may rotate the sealed room's key (chat's --identity). */
  identity: string;
  /** What to tell the operator at start that does not stop the relay (a creds file others can read). */
  notes?: string[];
}

/** `env` holds the cluster's credentials (WHATSUDP_NATS_*), read only with --cluster. */
export function parseRelayArgs(args: string[], env: NodeJS.ProcessEnv = process.env): RelayArgs {
  const spec: OptionSpec = {
    host: { type: 'string' },
    port: { type: 'string' },
    'legacy-bridge': { type: 'boolean' },
    'legacy-broadcast': { type: 'string' },
    'reuse-port': { type: 'boolean' },
    store: { type: 'string' },
    fsync: { type: 'boolean' },
    log: { type: 'boolean' },
    announce: { type: 'boolean' },
    sealed: { type: 'boolean' },
    identity: { type: 'string' },
    ...CLUSTER_OPTION_SPEC,
    ...stringFlags(RELAY_NUMBER_FLAGS),
  };
  const v = parse(args, spec);
  const { limits, timers } = numbers(RELAY_NUMBER_FLAGS, v);

  // Accept the bracketed form people copy from an address line, `[::1]`.
  const host = str(v.host)?.replace(/^\[(.*)\]$/, '$1');
  if (host !== undefined && (host === '' || /\s/.test(host))) throw new UsageError(`--host must be an address or host name, not "${host}"`);
  const legacyBroadcast = str(v['legacy-broadcast']);
  if (legacyBroadcast !== undefined && !isIPv4(legacyBroadcast)) {
    throw new UsageError(`--legacy-broadcast must be an IPv4 address such as 192.168.1.255, not "${legacyBroadcast}"`);
  }
  if (v.fsync && v.store === undefined) throw new UsageError('--fsync needs --store DIR');
  if (v['store-bytes'] !== undefined && v.store === undefined) throw new UsageError('--store-bytes needs --store DIR');
  const sealed = v.sealed === true;
  if (sealed && (v['legacy-bridge'] === true || legacyBroadcast !== undefined)) {
    const flag = legacyBroadcast !== undefined ? '--legacy-broadcast' : '--legacy-bridge';
    throw new UsageError(`--sealed and ${flag} cannot go together: a client of the original chat would read and write the sealed room in clear, without its link`);
  }
  const announce = v.announce === true;
  if (announce) checkAnnounce(host, wholeNumber('port', v.port, 0, 65535));
  const { cluster, notes } = relayCluster(v, env, (message) => new UsageError(message));
  const options: RelayOptions = {
    host,
    port: wholeNumber('port', v.port, 0, 65535),
    store: str(v.store),
    fsync: v.fsync === true ? true : undefined,
    // Broadcasting to the original clients is pointless unless their lines are taken too.
    legacyBridge: v['legacy-bridge'] === true || legacyBroadcast !== undefined ? true : undefined,
    legacyBroadcast,
    reusePort: v['reuse-port'] === true ? true : undefined,
    limits,
    timers,
  };
  const identity = str(v.identity);
  if (identity === '') throw new UsageError('--identity needs a file name');
  // The cluster's options past dropUndefined, which would make its servers array an object; they have no undefined.
  const relay = { ...dropUndefined(options), ...(cluster ? { cluster } : {}) };
  return { options: relay, log: v.log === true, announce, sealed, identity: identity ?? defaultIdentityPath(), ...(notes.length > 0 ? { notes } : {}) };
}

/** `--host` alone never announces, and `--announce` on loopback (the default host) is a mistake to
 * say at once: nobody on the network could reach what it would announce. */
function checkAnnounce(host: string | undefined, port: number | undefined): void {
  const on = host ?? '127.0.0.1';
  if (isLoopback(on)) {
    throw new UsageError(`--announce: a relay on ${on} can only be reached from this machine; add --host 0.0.0.0 (every interface) or one of this machine's addresses`);
  }
  if (port === PROBE_PORT) throw new UsageError(`--announce: port ${PROBE_PORT} is the discovery probe's own port; choose another --port`);
}

/** RelayOptions without keys set to undefined, so the relay's defaults apply to what was not given. */
function dropUndefined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(o)) {
    if (val === undefined) continue;
    out[k] = val !== null && typeof val === 'object' ? dropUndefined(val as object) : val;
  }
  return out as T;
}

export interface ChatArgs {
  name: string;
  server: Address;
  /** Failover candidates (issue 15): the rest of --server A,B,..., then an invite's other relays. */
  servers?: Address[];
  json: boolean;
  legacy: boolean;
  waitMs: number;
  joinTimeoutMs: number;
  /** The device key's file; known_relays is beside it. */
  identity: string;
  acceptRelayKey?: string;
  /** The sealed room's invite link (--invite), parsed: its secret, the relay's fingerprints, the room. */
  invite?: Invite;
  /** What was made of --invite given with --server, for stderr. */
  note?: string;
  /** Lines starting with "/" are commands even when stdin is not a terminal (--commands). */
  commands: boolean;
  /** Text output prefixes each message with #SEQ (--seq). */
  seq: boolean;
  /** The room to join first (--room, the invite's, or the default room), and whether to make it. */
  room: string;
  create: boolean;
  sealed: boolean;
  /** --passphrase-file: the passphrase (the file's text, its last line end dropped) of a passphrase room. */
  passphrase?: string;
}


export function parseChatArgs(args: string[]): ChatArgs {
  const v = parse(args, {
    name: { type: 'string' },
    server: { type: 'string' },
    json: { type: 'boolean' },
    legacy: { type: 'boolean' },
    commands: { type: 'boolean' },
    seq: { type: 'boolean' },
    identity: { type: 'string' },
    'accept-relay-key': { type: 'string' },
    invite: { type: 'string' },
    room: { type: 'string' },
    create: { type: 'boolean' },
    sealed: { type: 'boolean' },
    'passphrase-file': { type: 'string' },
    ...stringFlags(CHAT_NUMBER_FLAGS),
  });
  const typed = str(v.name);
  // What a person types is brought to the one normal form (NFKC, single plain spaces, trimmed);
  // what is still not a name after that is refused with the reason.
  const name = typed === undefined ? undefined : normalizeName(typed);
  if (name === undefined) throw new UsageError('--name NAME is required: the name the room knows you by');
  const problem = nameProblem(name);
  if (problem) throw new UsageError(`--name: ${problem.replace(/\.$/, '')}`);
  const invite = inviteOf(str(v.invite));
  const fromLink = invite ? formatAddress(invite.relays[0]) : undefined;
  // --server A,B,...: the first is joined, the rest are where the chat goes if its relay goes silent.
  const listed = str(v.server)?.split(',').map((a) => a.trim());
  if (listed?.includes('')) throw new UsageError('--server: an empty address in the list: write HOST:PORT[,HOST:PORT...]');
  const [server, ...others] = (listed ?? [fromLink ?? `127.0.0.1:${DEFAULT_PORT}`]).map((a) => checked('server', () => parseAddress(a, DEFAULT_PORT)));
  if ([server, ...others].some((a) => a.port === 0)) throw new UsageError('--server needs the relay\'s port, not 0');
  const linked = invite ? invite.relays.filter((a) => listed !== undefined || a !== invite.relays[0]) : [];
  const servers = [...others, ...linked.map((a) => ({ host: a.host, port: a.port }))];
  // The address typed for this run wins (a tunnel, another route to the same relay); the link's key is still checked.
  const viaServer = invite && v.server !== undefined ? `joining the invite's room through --server ${str(v.server)}, not the link's ${fromLink}; the relay must still have the link's key` : undefined;
  // One relay serves one room today: a link naming several (a cluster's) is joined at its first.
  const note = viaServer ?? (invite && invite.relays.length > 1 ? `the invite names ${invite.relays.length} relays; joining the first, ${fromLink}` : undefined);
  const legacy = v.legacy === true;
  const rooms = roomArgs({ room: str(v.room), create: v.create === true, sealed: v.sealed === true, legacy }, invite);
  if ('error' in rooms) throw new UsageError(rooms.error);
  if (legacy && invite) throw new UsageError('--legacy cannot join a sealed room: the original chat has no invite links');
  if (legacy && (v.commands === true || v.seq === true)) throw new UsageError(`${v.commands === true ? '--commands' : '--seq'} is for WhatsUDP rooms: the original chat has no seqs, replies or reactions`);
  // The original chat is IPv4 broadcast: there is no IPv6 form of it to talk to.
  if (legacy && isIPv6(server.host)) throw new UsageError('--legacy needs an IPv4 relay address (the original chat uses IPv4 broadcast)');
  if (legacy && others.length > 0) throw new UsageError('--legacy takes one --server: the original chat has no rooms to fail over to');
  const secret = passphraseOf(str(v['passphrase-file']), { invite: invite !== undefined, sealed: rooms.sealed, legacy, room: str(v.room) });
  if ('error' in secret) throw new UsageError(secret.error);
  const { passphrase } = secret;
  const n = numbers(CHAT_NUMBER_FLAGS, v).chat;
  const identity = str(v.identity);
  if (identity === '') throw new UsageError('--identity needs a file name');
  const accept = str(v['accept-relay-key']);
  const acceptRelayKey = accept === undefined ? undefined : parseFingerprint(accept);
  if (accept !== undefined && !acceptRelayKey) throw new UsageError(`--accept-relay-key must be a key fingerprint (52 letters and digits, as exit 8 prints it), not "${accept}"`);
  return {
    identity: identity ?? defaultIdentityPath(),
    ...(acceptRelayKey ? { acceptRelayKey } : {}),
    ...(invite ? { invite } : {}),
    ...(note || rooms.note ? { note: [note, rooms.note].filter(Boolean).join('; ') } : {}),
    name,
    server,
    ...(servers.length > 0 ? { servers } : {}),
    json: v.json === true,
    legacy,
    commands: v.commands === true,
    seq: v.seq === true,
    room: rooms.room,
    create: rooms.create,
    sealed: rooms.sealed,
    ...(passphrase !== undefined ? { passphrase } : {}),
    waitMs: n.waitMs ?? CHAT_OPTIONS.waitMs.default,
    joinTimeoutMs: n.joinTimeoutMs ?? CHAT_OPTIONS.joinTimeoutMs.default,
  };
}

/** A link as --invite gives it, or a usage error that says which part of it is wrong. */
function inviteOf(link: string | undefined): Invite | undefined {
  if (link === undefined) return undefined;
  try {
    return parseInvite(link);
  } catch (err) {
    if (err instanceof InviteError) throw new UsageError(`--invite: ${err.message.replace(/\.$/, '')}`);
    throw err;
  }
}

export interface DiscoverArgs {
  timeoutMs: number;
  json: boolean;
  /** Interface names to search; empty: every interface but loopback. */
  interfaces: string[];
}

export function parseDiscoverArgs(args: string[]): DiscoverArgs {
  const v = parse(args, {
    json: { type: 'boolean' },
    interface: { type: 'string', multiple: true },
    ...stringFlags(DISCOVER_NUMBER_FLAGS),
  });
  const interfaces = Array.isArray(v.interface) ? v.interface.filter((x): x is string => typeof x === 'string') : [];
  const bad = interfaces.find((name) => name === '' || /[\s/]/.test(name));
  if (bad !== undefined) throw new UsageError(`--interface must be an interface name such as eth0, not "${bad}"`);
  const n = numbers(DISCOVER_NUMBER_FLAGS, v).discover;
  return { timeoutMs: n.timeoutMs ?? DISCOVER_OPTIONS.timeoutMs.default, json: v.json === true, interfaces };
}
