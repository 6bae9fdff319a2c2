// Finding relays: on each interface, DNS-SD queries over mDNS and a probe to the subnet's broadcast
// address, repeated at growing intervals while the browser runs (RFC 6762 section 5.2). Every answer
// is a sighting with the interface it came on; found.ts makes them one line per relay. Nothing is
// sent before a user asks to find relays, and nothing after close().
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { TypedEmitter } from '../emitter';
import { ChatError } from '../errors';
import { mergeSightings, type FoundRelay, type Sighting } from './found';
import { SERVICE_TYPE } from './info';
import { ipv4Interfaces, type InterfaceTable, type NetInterface } from './interfaces';
import { InterfaceMdns, type MdnsPacket } from './mdns';
import { ProbeSender } from './probe-sender';
import { MdnsCache } from './records';

export interface BrowseOptions {
  /** Interface names to search (default: all but loopback). */
  interfaces?: string[];
  /** Search over mDNS (default true). */
  mdns?: boolean;
  /** Send the broadcast probe (default true). */
  broadcast?: boolean;
  /** Where the interfaces come from (default os.networkInterfaces). */
  networkInterfaces?: () => InterfaceTable;
}

export interface BrowserEvents {
  found: [relay: FoundRelay];
  /** Seen at another address or interface, or it announced other rooms. */
  changed: [relay: FoundRelay];
  /** It said goodbye, or answered none of the last two rounds of questions. */
  lost: [relay: FoundRelay];
  warning: [err: Error];
}

/** When to ask again, from the start: the first answer usually comes at once; these cover loss. */
const ASK_AT_MS = [0, 1100, 3300, 7700, 16_500, 34_100, 60_000];
const ASK_EVERY_MS_AFTER = 60_000;
const MAX_SIGHTINGS = 1024;

interface MdnsSearch {
  socket: InterfaceMdns;
  cache: MdnsCache;
  /** Instances whose missing records were asked for. */
  asked: Set<string>;
}

const relayKey = (r: FoundRelay): string => r.id ?? `${r.host}:${r.port}`;

export class RelayBrowser extends TypedEmitter<BrowserEvents> {
  readonly notices: string[] = [];
  private readonly mdns: MdnsSearch[] = [];
  private readonly probes: ProbeSender[] = [];
  private readonly sightings = new Map<string, { sighting: Sighting; seen: number }>();
  private readonly rounds: number[] = [];
  private listed = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private mdnsBroken = false;

  private constructor(readonly searched: NetInterface[]) {
    super();
  }

  /** Rejects ChatError BAD_OPTION for an interface name this machine does not have. */
  static async start(opts: BrowseOptions = {}): Promise<RelayBrowser> {
    const all = ipv4Interfaces((opts.networkInterfaces ?? os.networkInterfaces)());
    for (const name of opts.interfaces ?? []) {
      if (!all.some((i) => i.name === name)) {
        const names = [...new Set(all.map((i) => i.name))].join(', ') || 'none';
        throw new ChatError('BAD_OPTION', `No IPv4 network interface is named "${name}" (there are: ${names}).`);
      }
    }
    const chosen = opts.interfaces ? all.filter((i) => opts.interfaces?.includes(i.name)) : all.filter((i) => !i.internal);
    const b = new RelayBrowser(chosen);
    if (chosen.length === 0) b.notices.push('no network interface but loopback: there is nowhere to search');
    const nonce = randomBytes(8);
    for (const iface of chosen) {
      if (opts.mdns !== false) await b.openMdns(iface);
      if (opts.broadcast !== false) {
        try {
          b.probes.push(await ProbeSender.open(iface, nonce, (s) => b.sight(`broadcast ${iface.name} ${s.host}:${s.port}`, s), (err) => b.emit('warning', err)));
        } catch (err) {
          b.emit('warning', new Error(`broadcast probe on ${iface.name}: ${err instanceof Error ? err.message : String(err)}`));
        }
      }
    }
    b.ask(0);
    return b;
  }

  private async openMdns(iface: NetInterface): Promise<void> {
    if (this.mdnsBroken) return;
    let entry: MdnsSearch | undefined;
    try {
      const socket = await InterfaceMdns.open(iface, (p) => entry && this.onMdns(p, entry), (err) => this.emit('warning', err));
      entry = { socket, cache: new MdnsCache(), asked: new Set() };
      this.mdns.push(entry);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      this.mdnsBroken = true;
      this.notices.push(`mDNS cannot listen on UDP 5353 (${code}: a program holds it without sharing it); searching by broadcast only`);
    }
  }

  private onMdns(p: MdnsPacket, at: MdnsSearch): void {
    if (this.closed || p.type !== 'response') return;
    const iface = at.socket.iface;
    for (const instance of at.cache.add(p.records)) {
      const key = `mdns ${iface.name} ${iface.address} ${instance}`;
      const r = at.cache.get(instance);
      const host = r && at.cache.address(r);
      if (!r) this.goodbye(key);
      else if (r.port !== undefined && host && r.info) this.sight(key, { host, port: r.port, interface: iface.name, via: 'mdns', info: r.info });
      else if (!at.asked.has(instance)) {
        at.asked.add(instance); // once: a responder that ignores the question will not answer it twice
        void at.socket.query(at.cache.missing(r));
      }
    }
  }

  private ask(step: number): void {
    if (this.closed) return;
    // A relay that answered neither of the last two rounds is gone (the probe has no goodbye, and a
    // relay that crashed sent none); each answer to a round refreshes what it confirms.
    this.rounds.push(Date.now());
    const since = this.rounds.length > 2 ? this.rounds[this.rounds.length - 3] : -Infinity;
    let dropped = false;
    for (const [k, v] of this.sightings) if (v.seen < since) dropped = this.sightings.delete(k) || dropped;
    if (dropped) this.publish();
    for (const m of this.mdns) void m.socket.query([{ name: SERVICE_TYPE, type: 'PTR' }]);
    for (const p of this.probes) p.send();
    const wait = step + 1 < ASK_AT_MS.length ? ASK_AT_MS[step + 1] - ASK_AT_MS[step] : ASK_EVERY_MS_AFTER;
    this.timer = setTimeout(() => this.ask(step + 1), wait);
    this.timer.unref();
  }

  private sight(key: string, s: Sighting): void {
    if (this.closed) return;
    // Anyone on the link can answer a probe from many ports: a bound like the cache's.
    if (!this.sightings.has(key) && this.sightings.size >= MAX_SIGHTINGS) return;
    this.sightings.set(key, { sighting: s, seen: Date.now() });
    this.publish();
  }

  /** A relay that says goodbye on one interface is leaving all of them: every sighting of its id goes. */
  private goodbye(key: string): void {
    const id = this.sightings.get(key)?.sighting.info.id;
    this.sightings.delete(key);
    if (id !== undefined) for (const [k, v] of this.sightings) if (v.sighting.info.id === id) this.sightings.delete(k);
    this.publish();
  }

  /** found / changed / lost, from the merged list before and after. */
  private publish(): void {
    const now = new Map(this.relays().map((r) => [relayKey(r), r]));
    const before = this.listed;
    this.listed = new Map([...now].map(([k, r]) => [k, JSON.stringify(r)]));
    for (const [k, r] of now) {
      const was = before.get(k);
      if (was === undefined) this.emit('found', r);
      else if (was !== this.listed.get(k)) this.emit('changed', r);
    }
    for (const k of before.keys()) if (!now.has(k)) this.emit('lost', JSON.parse(before.get(k) ?? '{}') as FoundRelay);
  }

  /** Every relay found so far, in the order found, each once. */
  relays(): FoundRelay[] {
    return mergeSightings([...this.sightings.values()].map((v) => v.sighting));
  }

  /** Stops asking and closes every socket; safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await Promise.all([...this.mdns.map((m) => m.socket.destroy()), ...this.probes.map((p) => p.close())]);
    this.removeAllListeners();
  }
}

export interface Discovery {
  relays: FoundRelay[];
  /** The interfaces searched. */
  interfaces: string[];
  notices: string[];
}

/** Searches for `timeoutMs`, then lists what answered. */
export async function discover(opts: BrowseOptions & { timeoutMs: number }, onWarning?: (err: Error) => void): Promise<Discovery> {
  const b = await RelayBrowser.start(opts);
  if (onWarning) b.on('warning', onWarning);
  await new Promise((resolve) => setTimeout(resolve, opts.timeoutMs));
  const relays = b.relays();
  await b.close();
  return { relays, interfaces: [...new Set(b.searched.map((i) => i.name))], notices: b.notices };
}
