// The relay's door: what a Hello must show before the room is asked to admit it. The address proves
// itself with a cookie (no public-key work before that), the handshake proves the device key, a
// session id stays its first device's, a replayed Hello changes nothing, a sealed room's secret is
// proved (gate.ts), and the name is checked.
// What gets through comes with its new session and the way to answer it, sealed under that session.
import type * as dgram from 'node:dgram';
import { encode } from '../../protocol/codec';
import { equalBytes } from '../../protocol/crypto';
import { PacketType, RefuseReason, type Hello, type Packet } from '../../protocol/packets';
import { encodeClear, type HelloAuth } from '../../protocol/v2';
import { ProtocolError } from '../../protocol/bytes';
import { nameProblem } from '../validate';
import type { CookieJar } from './cookies';
import type { RoomGate } from './gate';
import type { Directory, MemberState } from './members';
import type { RelaySession, RelaySessions } from './sessions';
import type { Stranger } from './strangers';
import type { Wire } from './wire';

/** The room a Hello asks for, as the relay sees it: its gate (a sealed room's secret to prove), or
 * why the Hello cannot have it (no such room, too many rooms, another pair's DM room). */
/** `later`: a clustered relay is still opening the room (cluster-rooms.ts); the Hello goes unanswered and the client's next one gets in. */
export type RoomChoice = { ok: true; gate?: RoomGate } | { ok: false; reason: RefuseReason; detail: string } | { ok: 'later' };

/** A Hello that got through: its session, and how to answer it (sealed behind the relay's auth). */
export interface Entry {
  session: RelaySession;
  answer: (packet: Packet) => void;
  refuse: (reason: RefuseReason, detail: string) => void;
}

export class Door {
  constructor(
    private readonly cookies: CookieJar,
    private readonly sessions: RelaySessions,
    private readonly joined: Directory,
    private readonly wire: Wire,
    private readonly warn: (message: string) => void,
  ) {}

  /** A protocol 1 Hello: an older WhatsUDP. It is told, in its own protocol and within the 3x budget
   * of an address that has not proved itself, to upgrade (`whatsudp chat` then exits 6 saying so). */
  upgrade(from: dgram.RemoteInfo, stranger: Stranger | undefined): void {
    const detail = 'This relay speaks protocol 2: please upgrade WhatsUDP.'; // short: 3x a Hello of 33 bytes
    this.wire.sendTo(encode({ type: PacketType.Refused, reason: RefuseReason.Upgrade, msgId: 0, detail }), from.address, from.port, stranger);
  }

  /** The Hello's way in, or undefined once it has been answered (a Retry, a refusal) or dropped. */
  enter(p: Hello, from: dgram.RemoteInfo, member: MemberState | undefined, stranger: Stranger | undefined, now: number, signed: HelloAuth | undefined, choose: (auth: HelloAuth) => RoomChoice): Entry | undefined {
    const { address: host, port } = from;
    const key = `${host}|${port}`;
    // No public-key work for an address that has not shown it receives what is sent to it.
    if (!(p.cookie.length > 0 && this.cookies.check(key, p.cookie, now))) {
      this.wire.sendTo(encodeClear({ type: PacketType.Retry, cookie: this.cookies.mint(key, now) }), host, port, stranger);
      return undefined;
    }
    if (!signed) throw new ProtocolError('Cannot decode Hello (a cookie without the handshake)');
    const auth = signed.client;
    const holder = this.joined.client(p.clientId.toString('hex'));
    // A retransmitted Hello (its Welcome was lost): the same answer, not a second handshake. Once the
    // session is confirmed, the same Hello again is a replay: it must not replace the member's keys.
    const s = holder?.session;
    if (s && holder === member && s.ephemeral.equals(auth.ephemeralPublicKey)) {
      if (s.answer) this.wire.sendTo(s.answer, host, port);
      return undefined;
    }
    const hs = this.sessions.handshake(signed.relayAddress, p.cookie, auth);
    if (!hs.ok) {
      this.wire.counters.unauthenticated++;
      this.warn(`A protocol 2 Hello failed its handshake (${hs.reason}) (datagram from ${host}:${port})`);
      return undefined;
    }
    const answer = (packet: Packet) => this.wire.sendTo(this.sessions.answer(hs.session, hs.welcomePrefix, encode(packet)), host, port);
    const refuse = (reason: RefuseReason, detail: string) => answer({ type: PacketType.Refused, reason, msgId: 0, detail });
    // A session is its device's: no other key can take it over, from any address.
    if (holder && !(holder.session && equalBytes(holder.session.devicePublicKey, auth.devicePublicKey))) {
      refuse(RefuseReason.Malformed, 'This session id belongs to another device: start a new session.');
      return undefined;
    }
    // The room it asks for, and a sealed room's secret, checked only now: after the cookie and the
    // handshake, never for a stranger.
    const choice = choose(signed);
    if (choice.ok === 'later') return undefined;
    if (!choice.ok) {
      refuse(choice.reason, choice.detail);
      return undefined;
    }
    const verdict = choice.gate?.admits(signed, p.cookie);
    if (verdict && !verdict.ok) {
      refuse(verdict.reason ?? RefuseReason.Sealed, verdict.detail);
      return undefined;
    }
    const problem = nameProblem(p.name);
    if (problem) {
      refuse(RefuseReason.BadName, problem);
      return undefined;
    }
    return { session: hs.session, answer, refuse };
  }
}
