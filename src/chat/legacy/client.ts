// A client of the original (seed) Python relay: it sends plain `name: text` datagrams to the relay
// and, like a seed client, listens for the relay's broadcasts on the relay's port on this machine,
// sharing that port with other clients through SO_REUSEPORT. There are no acknowledgements: the only
// sign a message arrived is its echo in the broadcast, which is why own messages are shown from it.
import type dgram from 'node:dgram';
import { ChatError, bindError } from '../errors';
import { TypedEmitter } from '../emitter';
import { bindUdp } from '../net';
import type { Address } from '../types';
import { checkName } from '../validate';
import { decodeLegacy, encodeLegacy } from '../../protocol/legacy';
import { textProblem } from '../../common/message';

export interface LegacyClientOptions {
  /** The seed relay; its messages go there. */
  server: Address;
  name: string;
  /** Where to listen for the broadcasts: default 0.0.0.0 and the server's port, as the seed does. */
  listen?: Partial<Address>;
}

export interface LegacyMessage {
  name: string;
  text: string;
  /** The echo of a datagram this client sent. */
  own: boolean;
  from: Address;
  /** When it arrived, ms since the Unix epoch (the seed has no relay time). */
  time: number;
}

export interface LegacyClientEvents {
  message: [msg: LegacyMessage];
  /** A datagram that is not seed text, or a repeated echo: never fatal. */
  warning: [err: Error];
}

/** A second copy of an own datagram within this long (e.g. via two interfaces) is not shown again. */
const ECHO_REPEAT_MS = 1000;

export class LegacyClient extends TypedEmitter<LegacyClientEvents> {
  /** One-line notes for the user, e.g. that the port could not be shared. */
  readonly notices: string[] = [];
  private readonly name: string;
  private socket: dgram.Socket | undefined;
  // Datagrams sent whose echo has not come back, by content: a count, as the same line may be sent twice.
  private readonly awaitingEcho = new Map<string, number>();
  private readonly recentEchoes = new Map<string, number>();
  private closed = false;
  private echoWaiters: (() => void)[] = [];

  constructor(private readonly opts: LegacyClientOptions) {
    super();
    this.name = checkName(opts.name);
  }

  /** Binds the listening socket; rejects ChatError PORT_IN_USE or BAD_ADDRESS. */
  async start(): Promise<void> {
    const host = this.opts.listen?.host ?? '0.0.0.0';
    const port = this.opts.listen?.port ?? this.opts.server.port;
    try {
      const { socket, notShared } = await bindUdp({ type: 'udp4', host, port, share: true });
      this.socket = socket;
      if (notShared) this.notices.push(`${notShared}: port ${port} is not shared with other chat clients on this machine.`);
    } catch (err) {
      throw bindError(err as NodeJS.ErrnoException, host, port);
    }
    this.socket.setBroadcast(true);
    this.socket.on('message', (buf, rinfo) => this.receive(buf, { host: rinfo.address, port: rinfo.port }));
    // A send error (e.g. no route) must not kill the process; the seed would not notice either.
    this.socket.on('error', (err) => this.emit('warning', err));
  }

  /** Where it listens (port 0 resolved). */
  address(): Address {
    if (!this.socket) throw new ChatError('CLOSED', 'The chat client is not listening.');
    const a = this.socket.address();
    return { host: a.address, port: a.port };
  }

  /** Sends one message as seed datagrams (split at 1024 bytes on character boundaries); returns how many. */
  send(text: string): number {
    if (this.closed || !this.socket) throw new ChatError('CLOSED', 'The chat client is closed.');
    const problem = textProblem(text);
    if (problem) throw new ChatError(problem.code, problem.message);
    const datagrams = encodeLegacy(this.name, text);
    for (const d of datagrams) {
      const key = d.toString('latin1');
      this.awaitingEcho.set(key, (this.awaitingEcho.get(key) ?? 0) + 1);
      this.socket.send(d, this.opts.server.port, this.opts.server.host);
    }
    return datagrams.length;
  }

  /** Datagrams sent whose echo has not come back yet. */
  unechoed(): number {
    let n = 0;
    for (const count of this.awaitingEcho.values()) n += count;
    return n;
  }

  /** Resolves true once every sent datagram has echoed, false after `timeoutMs`. */
  waitForEchoes(timeoutMs: number): Promise<boolean> {
    if (this.unechoed() === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.echoWaiters = this.echoWaiters.filter((w) => w !== check);
        resolve(ok);
      };
      const check = (): void => {
        if (this.unechoed() === 0 || this.closed) done(this.unechoed() === 0);
      };
      this.echoWaiters.push(check);
    });
  }

  private receive(buf: Buffer, from: Address): void {
    const key = buf.toString('latin1');
    const now = Date.now();
    const awaiting = this.awaitingEcho.get(key) ?? 0;
    let own = false;
    if (awaiting > 0) {
      own = true;
      if (awaiting === 1) this.awaitingEcho.delete(key);
      else this.awaitingEcho.set(key, awaiting - 1);
      this.recentEchoes.set(key, now);
    } else if (now - (this.recentEchoes.get(key) ?? -Infinity) < ECHO_REPEAT_MS) {
      return; // the same echo again, e.g. through a second interface: shown once
    }
    this.forgetOldEchoes(now);
    // A seed client sends "name: " when its user presses Enter on an empty line; the seed shows
    // nothing useful for it, and neither do we.
    if (/^[^:]*: \s*$/u.test(buf.toString('utf8'))) return;
    let decoded: { name: string; text: string };
    try {
      decoded = decodeLegacy(buf);
    } catch (err) {
      this.emit('warning', new Error(`Ignored a datagram from ${from.host}:${from.port}: ${(err as Error).message}`));
      return;
    }
    this.emit('message', { ...decoded, own, from, time: now });
    if (own) for (const w of [...this.echoWaiters]) w();
  }

  private forgetOldEchoes(now: number): void {
    for (const [key, at] of this.recentEchoes) {
      if (now - at >= ECHO_REPEAT_MS) this.recentEchoes.delete(key);
    }
  }

  /** Closes the socket; safe twice. The seed has no Leave, so there is nothing to say first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.echoWaiters]) w();
    const socket = this.socket;
    this.socket = undefined;
    this.removeAllListeners();
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
