// Announcing a running relay so that people on its network find it without typing an address: DNS-SD
// over mDNS on each interface it is reachable on, and answers to the broadcast probe for networks
// that drop multicast. Started by whoever runs the relay (`whatsudp relay --announce`, later the
// extension's "share on my network"), never by the relay itself: nothing is multicast unless asked.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { TypedEmitter } from '../emitter';
import { ChatError } from '../errors';
import type { Address } from '../types';
import { checkRelayInfo, encodeTxt, type AnnouncedRoom, type RelayInfo } from './info';
import { announceTargets, ipv4Interfaces, type InterfaceTable, type NetInterface } from './interfaces';
import { MdnsResponder } from './mdns-responder';
import { PROBE_PORT } from './probe';
import { ProbeResponder } from './probe-responder';

export interface AnnounceOptions {
  /** Where the relay listens, as Relay.address() gives it. */
  relay: Address;
  /** For people; default this machine's host name (up to its first dot). */
  name?: string;
  /** Rooms anyone may join. */
  rooms?: AnnouncedRoom[];
  /** Sealed rooms whose owner allows them to be listed. */
  sealed?: AnnouncedRoom[];
  /** The relay key's fingerprint (Relay.fingerprint). */
  fingerprint?: string;
  /** Announce over mDNS (default true). */
  mdns?: boolean;
  /** Answer the broadcast probe (default true). */
  broadcast?: boolean;
  /** Where the interfaces come from (default os.networkInterfaces). */
  networkInterfaces?: () => InterfaceTable;
  /** How often to look for interfaces that came or went, in ms (default 10 s). */
  rescanMs?: number;
}

export type AnnounceUpdate = Pick<AnnounceOptions, 'name' | 'rooms' | 'sealed' | 'fingerprint'>;

export interface AnnouncerEvents {
  /** The interfaces it announces on changed (a network came or went). */
  interfaces: [names: string[]];
  warning: [err: Error];
}

const RESCAN_MS = 10_000;

export function hostName(): string {
  return os.hostname().split('.')[0] || 'relay';
}

export class Announcer extends TypedEmitter<AnnouncerEvents> {
  /** One-line notes for the user: what could not be started, and why. */
  readonly notices: string[] = [];
  private readonly mdns = new Map<string, MdnsResponder>();
  private probe: ProbeResponder | undefined;
  private current: NetInterface[] = [];
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private mdnsBroken = false;

  private constructor(
    private readonly opts: AnnounceOptions,
    private info: RelayInfo,
  ) {
    super();
  }

  /** Rejects ChatError BAD_OPTION for a relay that must not be announced (on loopback, IPv6-only) or
   * for a bad room name or fingerprint. A part that cannot start (port 5353 held unshared, the probe
   * port in use) is a notice, not a failure: the other part still announces. */
  static async start(opts: AnnounceOptions): Promise<Announcer> {
    const info = checkRelayInfo({ id: randomBytes(8).toString('hex'), name: opts.name ?? hostName(), rooms: opts.rooms ?? [], sealed: opts.sealed ?? [], fingerprint: opts.fingerprint });
    const host = opts.relay.host;
    const targets = announceTargets(host, ipv4Interfaces((opts.networkInterfaces ?? os.networkInterfaces)()));
    if (!targets.ok && host !== '0.0.0.0' && host !== '::') throw new ChatError('BAD_OPTION', `Not announced: ${targets.reason}.`);
    const a = new Announcer(opts, info);
    if (opts.broadcast !== false) {
      try {
        a.probe = await ProbeResponder.open({ interfaces: () => a.current, txt: () => encodeTxt(a.info), port: opts.relay.port }, (err) => a.emit('warning', err));
      } catch (err) {
        a.notices.push(`the broadcast probe cannot listen on UDP ${PROBE_PORT} (${errorCode(err)}); only mDNS announces this relay`);
      }
    }
    await a.refresh();
    a.timer = setInterval(() => void a.refresh(), opts.rescanMs ?? RESCAN_MS);
    a.timer.unref();
    return a;
  }

  /** The id browsers see; two sightings with it are this relay. */
  get id(): string {
    return this.info.id;
  }

  /** The names of the interfaces it announces on. */
  interfaces(): string[] {
    return [...new Set(this.current.map((i) => i.name))];
  }

  /** Rooms, name or fingerprint changed: announce them (throws ChatError BAD_OPTION like start). */
  update(change: AnnounceUpdate): void {
    this.info = checkRelayInfo({ ...this.info, ...Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) });
    for (const r of this.mdns.values()) r.update(this.info);
  }

  private refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(() => this.rescan());
    return this.refreshing;
  }

  private async rescan(): Promise<void> {
    if (this.closing) return;
    const targets = announceTargets(this.opts.relay.host, ipv4Interfaces((this.opts.networkInterfaces ?? os.networkInterfaces)()));
    const now = targets.ok ? targets.interfaces : [];
    if (!targets.ok) this.notice(`nothing to announce on yet: ${targets.reason}`);
    const key = (i: NetInterface): string => `${i.name} ${i.address}/${i.netmask}`;
    const before = this.interfaces().join(',');
    this.current = now;
    for (const [k, r] of this.mdns) {
      if (now.some((i) => key(i) === k)) continue;
      this.mdns.delete(k);
      await r.close(false); // the address is gone: a goodbye could not leave from it
    }
    if (this.opts.mdns !== false && !this.mdnsBroken) {
      for (const iface of now) {
        if (this.mdns.has(key(iface))) continue;
        try {
          this.mdns.set(key(iface), await MdnsResponder.open(iface, this.info, this.opts.relay.port, (err) => this.emit('warning', err)));
        } catch (err) {
          if (errorCode(err) === 'EADDRINUSE' || errorCode(err) === 'EACCES') {
            this.mdnsBroken = true;
            this.notice(`mDNS cannot listen on UDP 5353 (${errorCode(err)}: a program holds it without sharing it); only the broadcast probe announces this relay`);
            break;
          }
          this.emit('warning', new Error(`mDNS on ${iface.name}: ${err instanceof Error ? err.message : String(err)}`));
        }
      }
    }
    if (this.closing) await this.closeResponders();
    else if (this.interfaces().join(',') !== before) this.emit('interfaces', this.interfaces());
  }

  private notice(text: string): void {
    if (!this.notices.includes(text)) this.notices.push(text);
  }

  private async closeResponders(): Promise<void> {
    const all = [...this.mdns.values()];
    this.mdns.clear();
    await Promise.all(all.map((r) => r.close(true)));
  }

  /** Says goodbye over mDNS and stops answering; safe twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      await this.refreshing;
      await Promise.all([this.closeResponders(), this.probe?.close()]);
      this.removeAllListeners();
    })();
    return this.closing;
  }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? (err instanceof Error ? err.message : String(err));
}
