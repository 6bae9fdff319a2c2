// Plain loopback sockets for the bare baselines' members: bound, ready, and listed for the fan-out.
import * as dgram from 'node:dgram';

export async function bindLoopbackSockets(count: number): Promise<dgram.Socket[]> {
  return Promise.all(
    Array.from({ length: count }, () => {
      const s = dgram.createSocket('udp4');
      return new Promise<dgram.Socket>((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
    }),
  );
}

/** Where the fan-out should send: each socket's loopback address. */
export function targetsOf(sockets: dgram.Socket[]): { host: string; port: number }[] {
  return sockets.map((s) => ({ host: '127.0.0.1', port: s.address().port }));
}
