// A room of real ChatClients in the load generator's process: they join as the extension's would
// (without the member list, as bots do), and close with Leave afterwards.
import { ChatClient } from '../src/chat/client/client';
import type { Address, ClientTimers } from '../src/chat/types';

export interface Room {
  clients: ChatClient[];
  warnings: string[];
  close(): Promise<void>;
}

// One join at a time, as people arrive: a client takes its first RTT sample from the join, and 25 joins
// at once would inflate it (the relay computes an HMAC per Hello), and with it the client's probe
// timeout until its first heartbeat 5 s later.
const JOIN_BATCH = 1;

export async function openRoom(server: Address, size: number, timers?: ClientTimers): Promise<Room> {
  const clients: ChatClient[] = [];
  const warnings: string[] = [];
  const room: Room = {
    clients,
    warnings,
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
  try {
    for (let i = 0; i < size; i += JOIN_BATCH) {
      const batch = Array.from({ length: Math.min(JOIN_BATCH, size - i) }, (_, j) => {
        const c = new ChatClient({ server, name: `m${i + j}`, wantsRoster: false, timers });
        c.on('warning', (err) => {
          if (warnings.length < 20) warnings.push(err.message);
        });
        clients.push(c);
        return c;
      });
      await Promise.all(batch.map((c) => c.start()));
    }
  } catch (err) {
    await room.close();
    throw err;
  }
  return room;
}

/** 64 bytes of text with the message's number at the front, so a reader of a capture can tell them apart. */
export function text64(n: number): string {
  return `${n} `.padEnd(64, 'x');
}
