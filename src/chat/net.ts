// The engine's UDP sockets, opened one way for the client, the legacy (seed) client and the relay:
// a relay's host name resolved once, IP literals looked up at once on every send, one answer to
// whether this Node can share a port (SO_REUSEPORT), and one bind. A failed bind rejects with Node's
// own error (its `code` says why), which each caller words for its user.
import * as dgram from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { lookup as dnsLookupOnce } from 'node:dns/promises';
import { isIP } from 'node:net';

type Callback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

const literalFamilies = new Map<string, number>();
const MAX_LITERALS = 8192;
const last = { host: '', family: 0 };

/** A `lookup` for dgram sockets that answers an IP literal at once. dgram resolves the address of
 * every send through its socket's lookup, and the default one defers even an IP literal to the next
 * tick: for a relay fanning each message out to every member, that is one tick per member per message. */
export function literalFirstLookup(host: string, options: LookupOneOptions | number | Callback, callback?: Callback): void {
  const cb = (typeof options === 'function' ? options : callback)!;
  // isIP is a regular expression, run for every datagram sent: a relay fanning out to ten members
  // spent about 1% of its time in it. The literals it has seen (each member's address) are remembered.
  // The last one first: a fan-out to members on one host asks for the same one again and again.
  if (host === last.host) return cb(null, host, last.family);
  let family = literalFamilies.get(host);
  if (family === undefined && (family = isIP(host)) !== 0) {
    if (literalFamilies.size >= MAX_LITERALS) literalFamilies.clear();
    literalFamilies.set(host, family);
  }
  if (family !== 0) {
    last.host = host;
    last.family = family;
    return cb(null, host, family);
  }
  const opts: LookupOneOptions = typeof options === 'number' ? { family: options } : typeof options === 'function' ? {} : options;
  dnsLookup(host, opts, cb);
}

/** The address to send to: an IP literal as it is, a host name resolved once (it rejects when the
 * name cannot be resolved). */
export async function resolveHost(host: string): Promise<string> {
  return isIP(host) !== 0 ? host : (await dnsLookupOnce(host)).address;
}

/** The socket type for talking to or listening on `host` ('::' and other IPv6 literals: udp6). */
export function socketType(host: string | undefined): 'udp4' | 'udp6' {
  return host !== undefined && isIP(host) === 6 ? 'udp6' : 'udp4';
}

/** dgram's `reusePort` came in Node 22.12 (and 23.1); older ones ignore the option silently. Whether
 * the platform has SO_REUSEPORT shows only at bind: where it has not, the bind fails with ENOTSUP. */
export function nodeHasReusePort(versions = process.versions.node): boolean {
  const [major, minor] = versions.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

export interface BindOptions {
  type: 'udp4' | 'udp6';
  /** Default: the wildcard address of the type. */
  host?: string;
  port: number;
  /** Share the port with other sockets that ask the same, as seed clients on one machine do. Without
   * it the bind is exclusive, so a second relay on a port in use fails clearly instead of splitting
   * the traffic. */
  share?: boolean;
  /** Ask for this receive buffer, in bytes (the kernel caps it at net.core.rmem_max). */
  recvBufferSize?: number;
}

export interface BoundSocket {
  socket: dgram.Socket;
  /** When sharing was asked for and the port is not shared (at least not through SO_REUSEPORT): why. */
  notShared?: string;
}

/** Binds a UDP socket. Sharing sets SO_REUSEADDR, which the BSDs and macOS map to SO_REUSEPORT, and
 * SO_REUSEPORT itself where Node can; a platform that refuses SO_REUSEPORT gets the bind without it. */
export async function bindUdp(o: BindOptions): Promise<BoundSocket> {
  let notShared: string | undefined;
  let socket: dgram.Socket | undefined;
  if (o.share && nodeHasReusePort()) {
    try {
      socket = await bindOnce(o, true);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
      notShared = `SO_REUSEPORT is not available on ${process.platform}`;
    }
  } else if (o.share) {
    notShared = `Node ${process.versions.node} cannot set SO_REUSEPORT (Node 22.12 or later can)`;
  }
  socket ??= await bindOnce(o, false);
  if (o.recvBufferSize !== undefined) {
    try {
      socket.setRecvBufferSize(o.recvBufferSize);
    } catch {
      // keep the default
    }
  }
  return { socket, notShared };
}

function bindOnce(o: BindOptions, reusePort: boolean): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: o.type, lookup: literalFirstLookup, ...(o.share ? { reuseAddr: true } : {}), ...(reusePort ? { reusePort: true } : {}) });
  return new Promise((resolve, reject) => {
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(o.port, o.host, () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}
