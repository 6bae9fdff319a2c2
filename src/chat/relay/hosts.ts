// What the relay keeps per source host (an IPv4 address, or an IPv6 /64): its datagram and message
// rates and its member count. The per-address and per-member limits sit beside these; without them a
// host that opens new ports or client ids got a fresh allowance with each (issue 10: 16,384 ids from 8
// sockets in 8.7 s). A host with members is never forgotten while it has any, so its allowance is
// exact; hosts without members are forgotten oldest first beyond `trackedHosts`.
import { TokenBucket } from '../limits';

export interface HostLimits {
  hostPacketsPerSecond: number;
  hostPacketBurst: number;
  hostMessagesPerSecond: number;
  hostMessageBurst: number;
  trackedHosts: number;
}

/** Members at once from one host that may all send at their own full rate, when the host limits are
 * not given: a host's rates default to this many times a member's (and an address's). */
export const FULL_RATE_MEMBERS_PER_HOST = 10;

/** The host limits a relay runs with: each one given, or else the per-address or per-member limit it
 * scales ("10x --rate when not given"), so raising a member's rate raises its host's with it. */
export function hostLimitsOf(
  given: Partial<HostLimits> | undefined,
  l: { addressPacketsPerSecond: number; addressBurst: number; memberMessagesPerSecond: number; memberBurst: number; trackedHosts: number },
): HostLimits {
  const n = FULL_RATE_MEMBERS_PER_HOST;
  return {
    hostPacketsPerSecond: given?.hostPacketsPerSecond ?? n * l.addressPacketsPerSecond,
    hostPacketBurst: given?.hostPacketBurst ?? n * l.addressBurst,
    hostMessagesPerSecond: given?.hostMessagesPerSecond ?? n * l.memberMessagesPerSecond,
    hostMessageBurst: given?.hostMessageBurst ?? n * l.memberBurst,
    trackedHosts: given?.trackedHosts ?? l.trackedHosts,
  };
}

export class HostState {
  readonly packets: TokenBucket;
  readonly messages: TokenBucket;
  members = 0;

  constructor(
    readonly key: string,
    l: HostLimits,
    now: number,
  ) {
    this.packets = new TokenBucket(l.hostPacketsPerSecond, l.hostPacketBurst, now);
    this.messages = new TokenBucket(l.hostMessagesPerSecond, l.hostMessageBurst, now);
  }
}

export class Hosts {
  /** Hosts with members: kept while they have any (at most maxMembers of them). */
  private readonly busy = new Map<string, HostState>();
  /** Hosts without members, oldest first: bounded by trackedHosts. */
  private readonly idle = new Map<string, HostState>();
  /** Datagrams come in runs from one address: the last one's host is kept at hand. */
  private last: { host: string; s: HostState } | undefined;

  constructor(private readonly limits: HostLimits) {}

  /** The state of the host that the address `host` is on. */
  of(host: string, now: number): HostState {
    const last = this.last;
    if (last && last.host === host) return last.s;
    const key = hostKey(host);
    let s = this.busy.get(key) ?? this.idle.get(key);
    if (!s) {
      if (this.idle.size >= this.limits.trackedHosts) this.forget(this.idle.keys().next().value!);
      s = new HostState(key, this.limits, now);
      this.idle.set(key, s);
    }
    this.last = { host, s };
    return s;
  }

  /** A member from this host joined (or moved here). */
  join(s: HostState): void {
    if (s.members++ > 0) return;
    this.idle.delete(s.key);
    this.busy.set(s.key, s);
  }

  /** A member from this host left (or moved away). */
  leave(s: HostState): void {
    if (--s.members > 0) return;
    this.busy.delete(s.key);
    this.idle.set(s.key, s);
    if (this.idle.size > this.limits.trackedHosts) this.forget(this.idle.keys().next().value!);
  }

  /** Hosts tracked now, with and without members. */
  get size(): number {
    return this.busy.size + this.idle.size;
  }

  private forget(key: string): void {
    this.idle.delete(key);
    if (this.last?.s.key === key) this.last = undefined;
  }
}

/** Takes one message from both a member's bucket and its host's, or from neither: a member refused by
 * its host's rate keeps its own allowance. */
export function takeMessage(own: TokenBucket, host: TokenBucket | undefined, now: number): boolean {
  if (!own.take(now)) return false;
  if (!host || host.take(now)) return true;
  own.give(now, 1);
  return false;
}

/** The host a limit is kept for: an IPv4 address, or an IPv6 address's /64 (one host may hold a whole
 * /64, so counting its addresses one by one would be no limit at all). */
export function hostKey(host: string): string {
  if (!host.includes(':')) return host;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped) return mapped[1];
  const [head, tail = ''] = host.toLowerCase().split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = host.includes('::') && tail ? tail.split(':') : [];
  const groups = host.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':') + '::/64';
}
