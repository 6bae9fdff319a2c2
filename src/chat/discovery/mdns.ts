// One mDNS socket for one interface, through multicast-dns: bound to 0.0.0.0:5353 with the port
// shared (Avahi, Bonjour and other relays on this machine hold it too), joined to 224.0.0.251 on
// that interface, and sending out of that interface only. Every such socket hears the group on all
// interfaces, so this one keeps only packets whose source is on its interface's subnet: that is how
// an answer tells where it was found, and why a query from off the link is never answered (RFC 6762
// section 11).
import type { RemoteInfo } from 'node:dgram';
import type { Answer, Question } from 'dns-packet';
import makeMdns from 'multicast-dns';
import { onLink, type NetInterface } from './interfaces';

export const MDNS_PORT = 5353;

export type MdnsPacket =
  | { type: 'query'; questions: Question[]; known: Answer[]; from: RemoteInfo }
  | { type: 'response'; records: Answer[]; from: RemoteInfo };

export class InterfaceMdns {
  private destroyed = false;
  private sending: Promise<void> = Promise.resolve();

  private constructor(
    readonly iface: NetInterface,
    private readonly mdns: makeMdns.MulticastDNS,
  ) {}

  /** Resolves once bound; rejects with the bind error (EADDRINUSE when 5353 is held unshared). */
  static open(iface: NetInterface, onPacket: (p: MdnsPacket) => void, onWarning: (err: Error) => void): Promise<InterfaceMdns> {
    const mdns = makeMdns({ interface: iface.address, bind: '0.0.0.0', port: MDNS_PORT, reuseAddr: true, loopback: true, ttl: 255 });
    const self = new InterfaceMdns(iface, mdns);
    mdns.on('warning', (err: Error) => {
      if (!self.destroyed) onWarning(new Error(`mDNS on ${iface.name}: ${err.message}`));
    });
    // Responses from any port but 5353 are not mDNS (section 6); a query from another port is a
    // one-shot resolver wanting a unicast answer, which we do not give an unproven address.
    const mine = (from: RemoteInfo): boolean => !self.destroyed && from.port === MDNS_PORT && onLink(from.address, iface);
    mdns.on('query', (q, from) => {
      if (mine(from)) onPacket({ type: 'query', questions: q.questions, known: q.answers, from });
    });
    mdns.on('response', (r, from) => {
      if (mine(from)) onPacket({ type: 'response', records: [...r.answers, ...r.additionals], from });
    });
    return new Promise((resolve, reject) => {
      mdns.once('ready', () => resolve(self));
      mdns.once('error', (err: Error) => {
        void self.destroy();
        reject(err);
      });
    });
  }

  /** Multicasts a response out of this interface; resolves once sent (a send error is a warning, not a throw). */
  respond(answers: Answer[], additionals: Answer[] = []): Promise<void> {
    return this.queue((done) => this.mdns.respond({ answers, additionals }, done));
  }

  query(questions: Question[]): Promise<void> {
    return this.queue((done) => this.mdns.query({ questions }, done));
  }

  private queue(send: (done: (err: Error | null) => void) => void): Promise<void> {
    this.sending = this.sending.then(
      () =>
        new Promise<void>((resolve) => {
          if (this.destroyed) return resolve();
          send((err) => {
            if (err && !this.destroyed) this.mdns.emit('warning', err);
            resolve();
          });
        }),
    );
    return this.sending;
  }

  /** Closes the socket; safe twice. */
  destroy(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    this.destroyed = true;
    return new Promise((resolve) => this.mdns.destroy(() => resolve()));
  }
}
