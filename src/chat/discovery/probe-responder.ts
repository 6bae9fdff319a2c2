// The relay's side of the broadcast probe: a socket on PROBE_PORT (shared, so several relays on one
// machine all hear a broadcast) that answers probes from the subnets the relay is announced on.
// Nothing it sends can be aimed: answers go only to a source on one of those subnets, never to a
// privileged port, the original chat's port or the relay's own, are at most 3x the probe, and at most
// ANSWERS_PER_SECOND of them leave in a second.
import * as dgram from 'node:dgram';
import { interfaceFor, type NetInterface } from './interfaces';
import { answerBudget, decodeDiscovery, encodeAnswer, LEGACY_PORT, PROBE_PORT } from './probe';

const ANSWERS_PER_SECOND = 20;

export interface ProbeAnswerSource {
  /** The interfaces the relay is announced on now. */
  interfaces(): readonly NetInterface[];
  /** The TXT strings to answer with. */
  txt(): readonly string[];
  /** The relay's port. */
  port: number;
}

/** Why a probe from this source port gets no answer, or undefined when it may get one. */
export function refusedSourcePort(port: number, relayPort: number): string | undefined {
  if (port < 1024) return 'a privileged port';
  if (port === LEGACY_PORT) return "the original chat's port";
  if (port === relayPort) return "the relay's port";
  if (port === PROBE_PORT) return 'the probe port';
  return undefined;
}

export class ProbeResponder {
  private closed = false;
  private tokens = ANSWERS_PER_SECOND;
  private refilled: number;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly source: ProbeAnswerSource,
    private readonly onWarning: (err: Error) => void,
    private readonly now: () => number,
  ) {
    this.refilled = now();
    socket.on('message', (buf, from) => this.onMessage(buf, from));
    socket.on('error', (err) => onWarning(new Error(`broadcast probe: ${err.message}`)));
  }

  /** Resolves once bound (to 0.0.0.0:PROBE_PORT: a broadcast reaches only a wildcard bind); rejects
   * with the bind error. */
  static open(source: ProbeAnswerSource, onWarning: (err: Error) => void, at: { host?: string; port?: number } = {}, now = Date.now): Promise<ProbeResponder> {
    const { host = '0.0.0.0', port = PROBE_PORT } = at;
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    return new Promise((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(err);
      });
      socket.bind(port, host, () => {
        socket.removeAllListeners('error');
        resolve(new ProbeResponder(socket, source, onWarning, now));
      });
    });
  }

  /** Where it listens (the port, for tests that bind port 0). */
  address(): { address: string; port: number } {
    return this.socket.address();
  }

  private onMessage(buf: Buffer, from: dgram.RemoteInfo): void {
    if (this.closed || refusedSourcePort(from.port, this.source.port)) return;
    if (!interfaceFor(from.address, this.source.interfaces())) return; // off our subnets: not ours to answer
    let probe;
    try {
      probe = decodeDiscovery(buf);
    } catch {
      return; // anything on this port that is not a probe is noise, not worth a warning per datagram
    }
    if (probe.type !== 'probe' || !this.take()) return;
    const answer = encodeAnswer(probe.nonce, this.source.port, this.source.txt(), answerBudget(probe.bytes));
    if (answer) this.socket.send(answer, from.port, from.address);
  }

  private take(): boolean {
    const now = this.now();
    this.tokens = Math.min(ANSWERS_PER_SECOND, this.tokens + ((now - this.refilled) / 1000) * ANSWERS_PER_SECOND);
    this.refilled = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Closes the socket; safe twice. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
