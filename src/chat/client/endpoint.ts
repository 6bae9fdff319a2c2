// The relay a client's link talks to now: its resolved address, the socket that reaches it, and the
// session with it (ClientSecurity). Failover (issue 15) moves the endpoint to another relay: the
// socket stays if the new relay is of the same address family, the session is always a new one.
import type * as dgram from 'node:dgram';
import { ChatError } from '../errors';
import { resolveHost, socketType } from '../net';
import type { Address } from '../types';
import type { ClientSecurity } from './secure';
import { openClientSocket } from './socket';

export class RelayEndpoint {
  socket: dgram.Socket | undefined;
  /** The relay's address as resolved: only datagrams from it are read. */
  relay: Address = { host: '', port: 0 };
  secure: ClientSecurity | undefined;
  private family: 'udp4' | 'udp6' = 'udp4';
  /** Datagrams that did not open, counted by the sessions before this one. */
  private unauthBefore = 0;

  constructor(
    private readonly onMessage: (buf: Buffer, rinfo: dgram.RemoteInfo) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  get unauthenticated(): number {
    return this.unauthBefore + (this.secure?.unauthenticated ?? 0);
  }

  /** Reaches `server` from now on, under the session `secure` makes: its name resolved, a socket of
   * its family (the current one if it has that family). Throws BAD_ADDRESS as openClientSocket does;
   * nothing changes then. */
  async connect(server: Address, bind: Partial<Address> | undefined, secure: ClientSecurity): Promise<void> {
    let host: string;
    try {
      host = await resolveHost(server.host);
    } catch {
      throw new ChatError('BAD_ADDRESS', `Cannot resolve the relay's host name "${server.host}".`);
    }
    if (!this.socket || socketType(host) !== this.family) {
      const { socket } = await openClientSocket({ host, port: server.port }, bind);
      socket.on('message', (buf, rinfo) => this.onMessage(buf, rinfo));
      socket.on('error', (err) => this.onError(err));
      const old = this.socket;
      this.socket = socket;
      this.family = socketType(host);
      old?.close();
    }
    this.relay = { host, port: server.port };
    if (this.secure) this.unauthBefore += this.secure.unauthenticated;
    this.secure = secure;
  }

  /** Whether a datagram came from the relay. */
  from(rinfo: dgram.RemoteInfo): boolean {
    return rinfo.port === this.relay.port && rinfo.address === this.relay.host;
  }

  send(datagram: Buffer): void {
    this.socket?.send(datagram, this.relay.port, this.relay.host);
  }

  /** Sends `bye` (if any), then closes the socket; safe twice. */
  async close(bye?: Buffer): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    if (bye) await new Promise<void>((resolve) => socket.send(bye, this.relay.port, this.relay.host, () => resolve()));
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
