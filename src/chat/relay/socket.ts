// Opening the relay's socket: the options checked first, SO_REUSEPORT where Node has it, and every
// bind failure turned into a ChatError that says what to do.
import * as dgram from 'node:dgram';
import { isIP } from 'node:net';
import { bindError, ChatError } from '../errors';
import { checkRelayNumbers } from '../options';
import { literalFirstLookup } from '../lookup';
import type { RelayOptions } from '../types';

/** dgram's `reusePort` arrived in Node 22.12 (and 23.1); SO_REUSEPORT's sharing is Linux's. */
export function reusePortAvailable(): boolean {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return process.platform === 'linux' && (major > 22 || (major === 22 && minor >= 12));
}

export function checkRelayOptions(opts: RelayOptions): void {
  const bad = (what: string) => new ChatError('BAD_OPTION', what);
  if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)) throw bad(`The port must be 0-65535, not ${opts.port}.`);
  if (opts.legacyBroadcast !== undefined && isIP(opts.legacyBroadcast) === 0) throw bad(`The legacy broadcast address must be an IP address, not "${opts.legacyBroadcast}".`);
  checkRelayNumbers(opts); // the bounds of the options table, the same the CLI's parser applies
}

/** Binds the relay's socket. `notices` collects one-line notes for the user. */
export async function bindRelaySocket(host: string, port: number, opts: RelayOptions, notices: string[]): Promise<dgram.Socket> {
  // Sharing the port is what seed clients on the same host need; otherwise an exclusive bind is what
  // makes a second relay on the same port fail with a clear "port in use" instead of splitting traffic.
  const wantReuse = opts.reusePort ?? opts.legacyBroadcast !== undefined;
  const reuse = wantReuse && reusePortAvailable();
  if (wantReuse && !reuse) {
    notices.push(`SO_REUSEPORT needs Node 22.12 or newer on Linux (this is Node ${process.versions.node} on ${process.platform}): seed clients on this host cannot share port ${port}.`);
  }
  const type = isIP(host) === 6 || host === '::' ? 'udp6' : 'udp4';
  const socket = dgram.createSocket({ type, lookup: literalFirstLookup, ...(reuse ? { reusePort: true, reuseAddr: true } : {}) } as dgram.SocketOptions);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    socket.close();
    throw bindError(err as NodeJS.ErrnoException, host, port);
  }
  if (opts.legacyBroadcast) socket.setBroadcast(true);
  try {
    socket.setRecvBufferSize(4 * 1024 * 1024); // capped by net.core.rmem_max; bigger absorbs bursts
  } catch {
    // keep the default
  }
  return socket;
}
