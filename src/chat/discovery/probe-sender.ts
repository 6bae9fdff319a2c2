// The browser's side of the broadcast probe on one interface: a socket bound to the interface's own
// address (so the probe leaves there, and an answer's arrival says where it was found) that sends a
// padded probe to the subnet's directed-broadcast address and reads the answers to its nonce.
import * as dgram from 'node:dgram';
import type { Sighting } from './found';
import { decodeTxt } from './info';
import { broadcastAddress, onLink, type NetInterface } from './interfaces';
import { decodeDiscovery, encodeProbe, PROBE_PORT } from './probe';

export class ProbeSender {
  private closed = false;
  private readonly probe: Buffer;
  private readonly to: string | undefined;

  private constructor(
    readonly iface: NetInterface,
    private readonly socket: dgram.Socket,
    private readonly nonce: Buffer,
    private readonly onAnswer: (s: Sighting) => void,
    private readonly onWarning: (err: Error) => void,
  ) {
    this.probe = encodeProbe(nonce);
    this.to = broadcastAddress(iface);
    socket.on('message', (buf, from) => this.onMessage(buf, from));
    socket.on('error', (err) => onWarning(new Error(`broadcast probe on ${iface.name}: ${err.message}`)));
  }

  static open(iface: NetInterface, nonce: Buffer, onAnswer: (s: Sighting) => void, onWarning: (err: Error) => void): Promise<ProbeSender> {
    const socket = dgram.createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(err);
      });
      socket.bind(0, iface.address, () => {
        socket.removeAllListeners('error');
        socket.setBroadcast(true);
        resolve(new ProbeSender(iface, socket, nonce, onAnswer, onWarning));
      });
    });
  }

  /** Sends the probe once (nothing on a /31 or /32, which has no broadcast address). */
  send(): void {
    if (this.closed || !this.to) return;
    this.socket.send(this.probe, PROBE_PORT, this.to, (err) => {
      if (err && !this.closed) this.onWarning(new Error(`broadcast probe on ${this.iface.name}: ${err.message}`));
    });
  }

  private onMessage(buf: Buffer, from: dgram.RemoteInfo): void {
    if (this.closed || from.port !== PROBE_PORT || !onLink(from.address, this.iface)) return;
    let answer;
    try {
      answer = decodeDiscovery(buf);
    } catch (err) {
      this.onWarning(new Error(`broadcast probe on ${this.iface.name}: ${err instanceof Error ? err.message : String(err)} from ${from.address}`));
      return;
    }
    if (answer.type !== 'answer' || !answer.nonce.equals(this.nonce)) return;
    this.onAnswer({ host: from.address, port: answer.port, interface: this.iface.name, via: 'broadcast', info: decodeTxt(answer.txt) });
  }

  /** Closes the socket; safe twice. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
