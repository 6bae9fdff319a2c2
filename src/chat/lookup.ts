// A `lookup` for dgram sockets that answers an IP literal at once. dgram resolves the address of
// every send through its socket's lookup, and the default one defers even an IP literal to the next
// tick: for a relay fanning each message out to every member, that is one tick per member per message.
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';

type Callback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

export function literalFirstLookup(host: string, options: LookupOneOptions | number | Callback, callback?: Callback): void {
  const cb = (typeof options === 'function' ? options : callback)!;
  const family = isIP(host);
  if (family !== 0) return cb(null, host, family);
  const opts: LookupOneOptions = typeof options === 'number' ? { family: options } : typeof options === 'function' ? {} : options;
  dnsLookup(host, opts, cb);
}
