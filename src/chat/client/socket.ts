// Opening a client's socket: the relay's name resolved once, a socket of the matching family,
// bound to an ephemeral port unless told otherwise.
import type * as dgram from 'node:dgram';
import { ChatError } from '../errors';
import { bindUdp, resolveHost, socketType } from '../net';
import type { Address } from '../types';

/** Backfill and gap repair arrive in bursts of up to 64 datagrams, and a busy process (an extension
 * host) may not read for a while: the default buffer (~208 KiB) then holds only ~256 small datagrams,
 * and what overflows costs a retransmission timeout. */
const RECEIVE_BUFFER_BYTES = 1024 * 1024;

export async function openClientSocket(server: Address, bind: Partial<Address> | undefined): Promise<{ socket: dgram.Socket; relay: Address }> {
  let host: string;
  try {
    host = await resolveHost(server.host);
  } catch {
    throw new ChatError('BAD_ADDRESS', `Cannot resolve the relay's host name "${server.host}".`);
  }
  try {
    const { socket } = await bindUdp({ type: socketType(host), host: bind?.host, port: bind?.port ?? 0, recvBufferSize: RECEIVE_BUFFER_BYTES });
    return { socket, relay: { host, port: server.port } };
  } catch (err) {
    throw new ChatError('BAD_ADDRESS', `Cannot open a UDP socket to reach the relay: ${(err as Error).message}`);
  }
}
