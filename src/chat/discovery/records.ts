// DNS-SD over mDNS (RFC 6763, RFC 6762) for one relay on one interface: the records it announces,
// which of them answer a query, and what a browser makes of the records it hears. Pure: packets in
// dns-packet's shape, no sockets and no clocks.
import type { Answer, Question } from 'dns-packet';
import { clipUtf8, decodeTxt, encodeTxt, MAX_NAME_BYTES, SERVICE_TYPE, type RelayInfo, type SeenInfo } from './info';

/** DNS-SD service enumeration (RFC 6763 section 9): lets generic browsers list our type. */
const SERVICES = '_services._dns-sd._udp.local';
// RFC 6762 section 10: host records (SRV, A) live 120 s, the others 75 minutes.
const HOST_TTL = 120;
const OTHER_TTL = 4500;

export interface Announcement {
  /** `<label>._whatsudp._udp.local`. */
  instance: string;
  /** The SRV target, `wu-<id>.local`: a name of our own, so no other responder's host record clashes. */
  target: string;
  records: { ptr: Answer; srv: Answer; txt: Answer; a: Answer; services: Answer };
}

/** The instance label: the relay's name and port, without dots (dns-packet splits names on them). */
export function instanceLabel(name: string, port: number): string {
  const suffix = ` (port ${port})`;
  return clipUtf8(name.replace(/\./g, '-'), MAX_NAME_BYTES - suffix.length) + suffix;
}

export function announcement(info: RelayInfo, port: number, address: string, ttlScale = 1): Announcement {
  const instance = `${instanceLabel(info.name, port)}.${SERVICE_TYPE}`;
  const target = `wu-${info.id}.local`;
  // ttlScale 0 turns the records into a goodbye (RFC 6762 section 10.1).
  const host = HOST_TTL * ttlScale;
  const other = OTHER_TTL * ttlScale;
  return {
    instance,
    target,
    records: {
      ptr: { name: SERVICE_TYPE, type: 'PTR', ttl: other, data: instance },
      srv: { name: instance, type: 'SRV', ttl: host, flush: true, data: { port, target } },
      txt: { name: instance, type: 'TXT', ttl: other, flush: true, data: encodeTxt(info) },
      a: { name: target, type: 'A', ttl: host, flush: true, data: address },
      services: { name: SERVICES, type: 'PTR', ttl: other, data: SERVICE_TYPE },
    },
  };
}

/** Everything, for announcing (section 8.3) and for the goodbye. */
export function allRecords(a: Announcement): { answers: Answer[]; additionals: Answer[] } {
  const r = a.records;
  return { answers: [r.ptr, r.srv, r.txt, r.a], additionals: [] };
}

const same = (x: string, y: string): boolean => x.toLowerCase() === y.toLowerCase();
// dns-packet's types leave out ANY (255), which its decoder does produce.
const asks = (q: Question, name: string, type: string): boolean => same(q.name, name) && (q.type === type || (q.type as string) === 'ANY');
const ttlOf = (r: Answer): number => ('ttl' in r ? (r.ttl ?? 0) : 0);

/** The answer to a query, or undefined when nothing in it is ours. A PTR the querier already holds
 * with more than half its lifetime left is not sent again (known-answer suppression, section 7.1). */
export function answerQuery(a: Announcement, questions: readonly Question[], known: readonly Answer[]): { answers: Answer[]; additionals: Answer[] } | undefined {
  const r = a.records;
  const answers = new Set<Answer>();
  const additionals = new Set<Answer>();
  for (const q of questions) {
    if (asks(q, SERVICE_TYPE, 'PTR')) {
      if (!knownPtr(known, a.instance, ttlOf(r.ptr))) answers.add(r.ptr);
    }
    if (asks(q, a.instance, 'SRV')) answers.add(r.srv);
    if (asks(q, a.instance, 'TXT')) answers.add(r.txt);
    if (asks(q, a.target, 'A')) answers.add(r.a);
    if (asks(q, SERVICES, 'PTR')) answers.add(r.services);
  }
  if (answers.has(r.ptr)) [r.srv, r.txt, r.a].forEach((x) => additionals.add(x));
  if (answers.has(r.srv)) additionals.add(r.a);
  for (const x of answers) additionals.delete(x);
  return answers.size > 0 ? { answers: [...answers], additionals: [...additionals] } : undefined;
}

function knownPtr(known: readonly Answer[], instance: string, ttl: number): boolean {
  return known.some((k) => k.type === 'PTR' && 'data' in k && typeof k.data === 'string' && same(k.name, SERVICE_TYPE) && same(k.data, instance) && ttlOf(k) > ttl / 2);
}

/** A relay as one interface's browser knows it so far. */
export interface MdnsRelay {
  instance: string;
  port?: number;
  target?: string;
  info?: SeenInfo;
}

/** What a browser on one interface has heard: instances of our type, their SRV and TXT, host addresses.
 * Records arrive in any order and any packet; a TTL of 0 is a goodbye. */
export class MdnsCache {
  private readonly relays = new Map<string, MdnsRelay>();
  private readonly hosts = new Map<string, string>();

  /** Every host on a busy link announces its A records, and anyone there can send PTRs: both maps
   * keep the latest `max` entries, so a long-running browser stays small. */
  constructor(private readonly max = 256) {}

  private keep<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.max) map.delete(map.keys().next().value as string);
  }

  /** Takes a response's records; returns the instances that changed. */
  add(records: readonly Answer[]): string[] {
    const changed = new Set<string>();
    for (const rec of records) {
      const key = rec.name.toLowerCase();
      const gone = 'ttl' in rec && rec.ttl === 0;
      switch (rec.type) {
        case 'PTR':
          if (!same(rec.name, SERVICE_TYPE)) break;
          if (gone) this.relays.delete(rec.data.toLowerCase());
          else if (!this.relays.has(rec.data.toLowerCase())) this.keep(this.relays, rec.data.toLowerCase(), { instance: rec.data });
          changed.add(rec.data.toLowerCase());
          break;
        case 'SRV':
          this.update(key, changed, (r) => Object.assign(r, gone ? { port: undefined, target: undefined } : { port: rec.data.port, target: rec.data.target.toLowerCase() }));
          break;
        case 'TXT': {
          const data = rec.data;
          const strings = Array.isArray(data) ? data : [data];
          this.update(key, changed, (r) => (r.info = gone ? undefined : decodeTxt(strings)));
          break;
        }
        case 'A':
          if (gone) this.hosts.delete(key);
          else this.keep(this.hosts, key, rec.data);
          for (const [k, r] of this.relays) if (r.target === key) changed.add(k);
          break;
        default:
          break;
      }
    }
    return [...changed];
  }

  private update(key: string, changed: Set<string>, apply: (r: MdnsRelay) => void): void {
    const r = this.relays.get(key);
    if (!r) return; // a record for an instance we were not told of: not ours to guess
    apply(r);
    changed.add(key);
  }

  get(instance: string): MdnsRelay | undefined {
    return this.relays.get(instance.toLowerCase());
  }

  /** The relay's host address from its A record, if heard. */
  address(r: MdnsRelay): string | undefined {
    return r.target ? this.hosts.get(r.target) : undefined;
  }

  /** What is still missing for a relay to be listed, as questions to ask. */
  missing(r: MdnsRelay): Question[] {
    const q: Question[] = [];
    if (r.port === undefined) q.push({ name: r.instance, type: 'SRV' });
    if (!r.info) q.push({ name: r.instance, type: 'TXT' });
    if (r.target && !this.hosts.has(r.target)) q.push({ name: r.target, type: 'A' });
    return q;
  }
}
