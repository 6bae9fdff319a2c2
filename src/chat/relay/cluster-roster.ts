// A clustered room's members across its relays (issue 15): this relay writes its own members to the room's
// shared presence (a KV bucket, cluster/presence.ts) whenever its roster changes, and shows the members the
// other relays wrote in its roster, so a member sees everyone in the room whichever relay they joined.
// Remote members get ids of their own (the top bit set), which never meet a local member's.
import { createHash } from 'node:crypto';
import { Presence } from '../../protocol/packets';
import type { PresenceEntry, RoomPresence } from '../cluster/index';
import type { Members, RemoteMember } from './members';

const CLIENT_HEX = /^[0-9a-f]{16}$/;

/** A remote member's id in this relay's roster: stable for its (relay, member id), never a local one. */
function remoteId(e: PresenceEntry): number {
  return (0x80000000 | createHash('sha256').update(`${e.relay}:${e.memberId}`).digest().readUInt32BE(0)) >>> 0;
}

function remote(e: PresenceEntry): RemoteMember | undefined {
  if (!CLIENT_HEX.test(e.clientId)) return undefined;
  const key = e.key ? Buffer.from(e.key, 'base64url') : undefined;
  return {
    hex: e.clientId,
    memberId: remoteId(e),
    clientId: Buffer.from(e.clientId, 'hex'),
    name: e.name,
    presence: e.presence === 'away' ? Presence.Away : Presence.Online,
    ...(key?.length === 32 ? { session: { devicePublicKey: key } } : {}),
  };
}

export class SharedRoster {
  /** What was last written for each of this relay's members: `name|presence`. */
  private readonly written = new Map<string, string>();

  constructor(
    private readonly presence: RoomPresence,
    private readonly relayId: string,
    private readonly members: Members,
    private readonly warn: (message: string) => void,
  ) {
    presence.on('change', () => this.others());
    presence.on('warning', (e) => warn(e.message));
  }

  /** The local roster changed: write who is new or changed, withdraw who left. */
  sync(): void {
    const here = new Set<string>();
    for (const m of this.members.all()) {
      here.add(m.hex);
      const presence = m.presence === Presence.Away ? 'away' : 'online';
      const sig = `${m.name}|${presence}`;
      if (this.written.get(m.hex) === sig) continue;
      this.written.set(m.hex, sig);
      const key = m.session ? Buffer.from(m.session.devicePublicKey).toString('base64url') : undefined;
      this.presence.announce({ clientId: m.hex, name: m.name, presence, memberId: m.memberId, ...(key ? { key } : {}) }).catch((e: unknown) => this.failed(m.hex, e));
    }
    for (const hex of [...this.written.keys()]) {
      if (here.has(hex)) continue;
      this.written.delete(hex);
      this.presence.withdraw(hex).catch((e: unknown) => this.warn(`Cannot tell the cluster a member left: ${(e as Error).message}`));
    }
  }

  /** A write that failed is tried again at the next change. */
  private failed(hex: string, e: unknown): void {
    this.written.delete(hex);
    this.warn(`Cannot tell the cluster who is in the room: ${(e as Error).message}`);
  }

  private others(): void {
    const list: RemoteMember[] = [];
    for (const e of this.presence.roster()) {
      if (e.relay === this.relayId) continue;
      const r = remote(e);
      if (r) list.push(r);
    }
    this.members.setRemote(list);
  }
}
