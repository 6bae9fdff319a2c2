// Opening a client's socket: the relay's name resolved once, a socket of the matching family,
// bound to an ephemeral port unless told otherwise.
import * as dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ChatError } from '../errors';
import { literalFirstLookup } from '../lookup';
import type { Address } from '../types';

export async function openClientSocket(server: Address, bind: Partial<Address> | undefined): Promise<{ socket: dgram.Socket; relay: Address }> {
  let host = server.host;
  if (isIP(host) === 0) {
    try {
      host = (await lookup(host)).address;
    } catch {
      throw new ChatError('BAD_ADDRESS', `Cannot resolve the relay's host name "${server.host}".`);
    }
  }
  const socket = dgram.createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4', lookup: literalFirstLookup });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(bind?.port ?? 0, bind?.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    socket.close();
    throw new ChatError('BAD_ADDRESS', `Cannot open a UDP socket to reach the relay: ${(err as Error).message}`);
  }
  try {
    // Backfill and gap repair arrive in bursts of up to 64 datagrams, and a busy process (an extension
    // host) may not read for a while: the default buffer (~208 KiB) then holds only ~256 small
    // datagrams, and what overflows costs a retransmission timeout. Capped by net.core.rmem_max.
    socket.setRecvBufferSize(1024 * 1024);
  } catch {
    // keep the default
  }
  return { socket, relay: { host, port: server.port } };
}
