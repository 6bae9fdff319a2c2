// The Relays packet (issue 15): the other relays of a clustered room, for codec.ts's table.
// docs/PROTOCOL.md, "Relays", is its prose version.
import { ProtocolError, type Reader, type Writer } from './bytes';
import { strLength } from './parts';
import { MAX_RELAY_ENTRIES, PacketType, type Relays } from './packets';

const KEY_BYTES = 32;
/** A host name or address as text (a DNS name is at most 253 bytes). */
const MAX_HOST_BYTES = 253;

function checkCount(n: number): number {
  if (n > MAX_RELAY_ENTRIES) throw new ProtocolError(`Cannot encode Relays (${n} relays; at most ${MAX_RELAY_ENTRIES})`);
  return n;
}

export const RELAYS_BODY = {
  length: (p: Relays): number => 1 + p.relays.reduce((n, e) => n + strLength(e.host, MAX_HOST_BYTES, 'host') + 2 + KEY_BYTES, 0),
  write(w: Writer, p: Relays): void {
    w.u8(checkCount(p.relays.length));
    for (const e of p.relays) {
      if (e.key.length !== KEY_BYTES) throw new ProtocolError(`Cannot encode Relays (a key of ${e.key.length} bytes)`);
      if (!Number.isInteger(e.port) || e.port < 1 || e.port > 0xffff) throw new ProtocolError(`Cannot encode Relays (port ${e.port})`);
      w.text(e.host).u16(e.port).bytes(e.key);
    }
  },
  read(r: Reader): Relays {
    const n = r.u8('count');
    if (n > MAX_RELAY_ENTRIES) throw new ProtocolError(`Cannot decode Relays (${n} relays; at most ${MAX_RELAY_ENTRIES})`);
    const relays = [];
    for (let i = 0; i < n; i++) {
      const host = r.str('host', MAX_HOST_BYTES);
      const port = r.u16('port');
      if (host === '' || port === 0) throw new ProtocolError('Cannot decode Relays (an empty host or port 0)');
      relays.push({ host, port, key: r.bytes(KEY_BYTES, 'key') });
    }
    return { type: PacketType.Relays, relays };
  },
};
