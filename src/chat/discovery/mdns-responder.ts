// A relay's mDNS responder on one interface: announces its records when it starts and when they
// change (twice, a second apart: RFC 6762 section 8.3), answers queries for them from the link, and
// says goodbye (TTL 0) when it stops. It multicasts no record more than once a second on its
// interface (section 6), which also bounds what a flood of queries can make it send.
import type { Answer } from 'dns-packet';
import type { RelayInfo } from './info';
import type { NetInterface } from './interfaces';
import { InterfaceMdns, type MdnsPacket } from './mdns';
import { allRecords, announcement, answerQuery, type Announcement } from './records';

const ANNOUNCE_AGAIN_MS = 1000;
const MIN_REPEAT_MS = 1000;
// Section 6: an answer with a shared record (our PTR) waits 20-120 ms, so that the answers of many
// relays to one query do not all collide.
const SHARED_DELAY_MS = [20, 120] as const;

export class MdnsResponder {
  private records: Announcement;
  private readonly lastSent = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  private constructor(
    private readonly socket: InterfaceMdns,
    private info: RelayInfo,
    private readonly port: number,
    private readonly now: () => number,
  ) {
    this.records = announcement(info, port, socket.iface.address);
  }

  static async open(iface: NetInterface, info: RelayInfo, port: number, onWarning: (err: Error) => void, now = Date.now): Promise<MdnsResponder> {
    const made: { responder?: MdnsResponder } = {};
    const socket = await InterfaceMdns.open(iface, (p) => made.responder?.onPacket(p), onWarning);
    const self = (made.responder = new MdnsResponder(socket, info, port, now));
    self.announce();
    return self;
  }

  get iface(): NetInterface {
    return this.socket.iface;
  }

  /** New rooms, name or fingerprint: announced again at once. */
  update(info: RelayInfo): void {
    this.info = info;
    this.records = announcement(info, this.port, this.socket.iface.address);
    this.lastSent.clear();
    this.announce();
  }

  private announce(): void {
    const send = (): void => {
      const { answers } = allRecords(this.records);
      this.sent(answers);
      void this.socket.respond(answers);
    };
    send();
    this.later(ANNOUNCE_AGAIN_MS, send);
  }

  private onPacket(p: MdnsPacket): void {
    if (this.closed || p.type !== 'query') return;
    const answer = answerQuery(this.records, p.questions, p.known);
    if (!answer) return;
    const shared = answer.answers.includes(this.records.records.ptr);
    const delay = shared ? SHARED_DELAY_MS[0] + Math.random() * (SHARED_DELAY_MS[1] - SHARED_DELAY_MS[0]) : 0;
    this.later(delay, () => {
      const answers = answer.answers.filter((r) => this.due(r));
      if (answers.length === 0) return;
      const additionals = answer.additionals.filter((r) => this.due(r));
      this.sent([...answers, ...additionals]);
      void this.socket.respond(answers, additionals);
    });
  }

  private key(r: Answer): string {
    return `${r.type} ${r.name.toLowerCase()}`;
  }

  private due(r: Answer): boolean {
    const last = this.lastSent.get(this.key(r));
    return last === undefined || this.now() - last >= MIN_REPEAT_MS;
  }

  private sent(records: Answer[]): void {
    for (const r of records) this.lastSent.set(this.key(r), this.now());
  }

  private later(ms: number, run: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) run();
    }, ms);
    this.timers.add(t);
  }

  /** Says goodbye (unless the interface is gone, `goodbye: false`) and closes; safe twice. */
  async close(goodbye = true): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (goodbye) await this.socket.respond(allRecords(announcement(this.info, this.port, this.socket.iface.address, 0)).answers);
    await this.socket.destroy();
  }
}
