// Opening the relay's socket: the options checked first, SO_REUSEPORT where Node has it, and every
// bind failure turned into a ChatError that says what to do.
import type * as dgram from 'node:dgram';
import { isIP } from 'node:net';
import { bindError, ChatError } from '../errors';
import { checkRelayNumbers } from '../options';
import { bindUdp, socketType } from '../net';
import type { RelayOptions } from '../types';

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
  const share = opts.reusePort ?? opts.legacyBroadcast !== undefined;
  let bound;
  try {
    bound = await bindUdp({ type: socketType(host), host, port, share, recvBufferSize: 4 * 1024 * 1024 }); // a bigger buffer absorbs bursts
  } catch (err) {
    throw bindError(err as NodeJS.ErrnoException, host, port);
  }
  if (bound.notShared) notices.push(`${bound.notShared}: seed clients on this host cannot share port ${port}.`);
  else if (share) notices.push(sharedPortRisk(port));
  if (opts.legacyBroadcast) bound.socket.setBroadcast(true);
  return bound.socket;
}

/** The risk of SO_REUSEPORT, said whenever the relay shares its port (issue 10): the kernel spreads
 * datagrams over every socket on the port, so another process may take a share of the room's. */
export const sharedPortRisk = (port: number) =>
  `port ${port} is shared (SO_REUSEPORT, for the original clients): any other process of the same user on this host can bind it too and receive a share of the relay's datagrams; share it only on a machine you trust.`;
