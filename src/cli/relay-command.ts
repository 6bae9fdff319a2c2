// `whatsudp relay`: runs a relay until a signal. Its first stdout line is the bound address, so a
// script (or a test) started with `--port 0` learns the port by reading one line. With --announce it
// also lets the network find it (src/chat/discovery), and says goodbye there before closing.
import { ChatError, Relay, type Address, type RelayClusterOptions } from '../chat';
import { formatAddress } from '../chat';
import { advertised } from '../chat/relay/cluster-relay';
import { Announcer, PROBE_PORT } from '../chat/discovery';
import { FileStore, IdentityError, loadOrCreateIdentity, relayKeyPath } from '../chat/identity';
import { displayFingerprint } from '../protocol/fingerprint';
import { selectCrypto, type Crypto } from '../protocol/crypto';
import { sealedRoom, type SealedRoom } from '../chat/relay/room-verifier';
import { INVITE_ROOM, inviteLine } from './invite-line';
import type { RelayArgs } from './args';
import { escapeName, formatMessage } from './format';
import { EXIT } from './help';
import { bounded, errorLine, exitCodeFor, type Io, type Session } from './session';
import { DEFAULT_ROOM } from '../protocol/rooms';

export function startRelay(args: RelayArgs, io: Io): Session {
  let relay: Relay | undefined;
  let announcer: Promise<Announcer | undefined> = Promise.resolve(undefined);
  let stopping = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));

  openRelay(args).then(
    ({ r, sealed }) => {
      relay = r;
      if (stopping) {
        void r.close();
        return;
      }
      io.out(formatAddress(r.address()));
      if (sealed) sayInvite(r, sealed, args.options.store, io);
      for (const note of args.notes ?? []) io.err(`whatsudp: note: ${note}`);
      if (args.options.cluster) io.err(`whatsudp: note: ${clusterLine(args.options.cluster, advertised(args.options, r.address()))}`);
      for (const notice of r.notices) io.err(`whatsudp: note: ${notice}`);
      if (args.log) io.err(`whatsudp: note: the relay's key fingerprint is ${displayFingerprint(r.fingerprint)} (members pin it on first contact; tell them, so they can compare)`);
      // The operator hears of a full disk with or without --log: once when it starts, once when it ends.
      r.on('store', (s) => io.err(`whatsudp: ${s.writing ? 'note' : 'warning'}: ${s.detail}`));
      // The bridge is off by default now: whoever runs the original programs against this relay
      // learns, once, why their lines go nowhere and how to let them in.
      r.on('legacyDropped', (from) => io.err(legacyDroppedNote(formatAddress(from))));
      if (args.log) {
        // The default room's lines as before rooms; every line of another room's after "[ROOM] " (issue 11).
        const inRoom = (room: string, text: string): string => (room === DEFAULT_ROOM ? text : text.split('\n').map((l) => `[${room}] ${l}`).join('\n'));
        r.on('message', (msg) => io.out(inRoom(msg.room, formatMessage(msg.sender.name, msg, msg.sender.legacy))));
        r.on('joined', (m) => io.err(inRoom(m.room, `* ${escapeName(m.name)} joined from ${formatAddress(m.address)}`)));
        r.on('left', (m) => io.err(inRoom(m.room, `* ${escapeName(m.name)} left${m.reason === 'timeout' ? ' (no heartbeat)' : ''}`)));
        r.on('warning', (err) => io.err(`whatsudp: warning: ${escapeName(err.message)}`));
      }
      // Without --log a relay stays quiet about traffic: a busy room must not fill a log nobody reads.
      if (args.announce) announcer = announce(r, args.log, io, args.sealed);
    },
    (err: unknown) => {
      io.err(errorLine(err));
      finish(relayExitCode(err, args));
    },
  );

  return {
    done,
    async stop() {
      stopping = true;
      await bounded(announcer.then((a) => a?.close()), 2000);
      if (relay) await bounded(relay.close(), 2000);
      finish(EXIT.OK);
    },
  };
}

/** A clustered relay's start fails UNREACHABLE or REFUSED only for NATS (the relay itself reaches
 * nothing): exit 10, not chat's 3 and 6, which speak of a relay. */
export function relayExitCode(err: unknown, args: RelayArgs): number {
  if (args.options.cluster && err instanceof ChatError && (err.code === 'UNREACHABLE' || err.code === 'REFUSED')) return EXIT.CLUSTER;
  return exitCodeFor(err);
}

/** The clustered relay's line at start: its NATS servers, the streams' copies, where members reach it. */
export function clusterLine(c: RelayClusterOptions, ad: Address | undefined): string {
  const copies = (c.replicas ?? 1) === 1 ? '1 replica' : `${c.replicas} replicas`;
  const who = !c.auth || c.auth.kind === 'none' ? '' : c.auth.kind === 'creds' ? ', with a creds file' : c.auth.kind === 'token' ? ', with a token' : `, as user ${escapeName(c.auth.user)}`;
  const where = ad ? `members fail over to it at ${formatAddress(ad)}` : 'no address advertised for failover';
  return `clustered through NATS ${c.servers.join(',')} (room streams of ${copies}${who}); ${where}`;
}

/** The relay, with its sealed room if asked for: kept in the store, or made now and, once the relay
 * listens, kept there (a relay that could not start leaves no room behind). */
async function openRelay(args: RelayArgs): Promise<{ r: Relay; sealed?: SealedRoom }> {
  const { crypto } = await selectCrypto();
  const sealed = args.sealed ? await sealedRoom(crypto, args.options.store) : undefined;
  // Who may rotate the sealed room's key (issue 9): this machine's identity, as `chat` uses it.
  const roomCreator = sealed ? await ownerKey(crypto, args.identity) : undefined;
  const r = await Relay.start({ keyFile: relayKeyPath(args.options.store), ...args.options, ...(sealed ? { roomVerifier: sealed.verifier } : {}), ...(roomCreator ? { roomCreator } : {}) });
  try {
    await sealed?.keep?.();
  } catch (err) {
    await bounded(r.close(), 2000);
    throw err;
  }
  return { r, sealed };
}

/** The device key of the identity in `file` (made on first use); one that cannot be used is the
 * user's to fix (exit 2), as for `chat`. */
async function ownerKey(crypto: Crypto, file: string): Promise<Uint8Array> {
  try {
    return (await loadOrCreateIdentity(crypto, new FileStore(file))).identity.publicKey;
  } catch (err) {
    if (err instanceof IdentityError) throw new ChatError('BAD_OPTION', err.message);
    throw err;
  }
}

/** The sealed room's link, on stdout right after the address, the one time it exists (the relay
 * keeps only the verifier); on a restart with the same store, where to find it instead. */
function sayInvite(r: Relay, sealed: SealedRoom, store: string | undefined, io: Io): void {
  if (!sealed.secret) {
    io.err(`whatsudp: note: the room is sealed (its verifier is in ${sealed.file ?? store}): members join with the invite link printed when it was made, which this relay does not keep`);
    return;
  }
  const { link, note } = inviteLine(r.address(), r.fingerprint, sealed.secret);
  io.out(link);
  const lasts = sealed.file ? `it opens this room for as long as ${sealed.file} is kept` : 'without --store, the room and its link last as long as this relay runs';
  io.err(`whatsudp: note: the room is sealed: save the invite link above, it is shown only now (${lasts}); give it to members only, for whatsudp chat --invite LINK`);
  if (note) io.err(`whatsudp: note: ${note}`);
}

export function legacyDroppedNote(from: string): string {
  return `whatsudp: note: dropped a plain "name: text" datagram from ${escapeName(from)}, a client of the original Python chat: the legacy bridge is off (the default). Start the relay with --legacy-bridge to let the original programs into the room (their names are not verified). Said once.`;
}

/** Starts announcing; what cannot be (a host name that resolved to loopback) is a note, and the relay
 * runs on: it is still reachable by its address. */
async function announce(relay: Relay, log: boolean, io: Io, sealed: boolean): Promise<Announcer | undefined> {
  try {
    // One room today, open to all; its id joins the announcement once the relay exposes it. The key's
    // fingerprint lets whoever finds it know which relay it is before joining (and what to pin).
    // A sealed room is listed as sealed: finding it is no way in without its link.
    const rooms = [{ name: INVITE_ROOM }];
    const a = await Announcer.start({ relay: relay.address(), ...(sealed ? { sealed: rooms } : { rooms }), fingerprint: relay.fingerprint });
    for (const notice of a.notices) io.err(`whatsudp: note: ${notice}`);
    const where = a.interfaces();
    io.err(where.length > 0 ? `* announced on ${where.map(escapeName).join(', ')} (mDNS _whatsudp._udp, broadcast probe on UDP ${PROBE_PORT})` : '* announcing once a network interface comes up');
    a.on('interfaces', (names) => io.err(`* announced on ${names.map(escapeName).join(', ') || 'no interface now'}`));
    if (log) a.on('warning', (err) => io.err(`whatsudp: warning: ${escapeName(err.message)}`));
    return a;
  } catch (err) {
    io.err(`whatsudp: note: ${errorLine(err).replace(/^whatsudp: /, '')}`);
    return undefined;
  }
}
