// /rotate [--remove NAME | --admin NAME] (issue 9): a new key for the current sealed room, sent wrapped to every
// member that stays (rotateRoomKey, src/chat/rotation.ts), and its new invite link, printed once as
// a sealed room's first is. Only the room's creator (the device that made it, as /create --sealed
// does) or an admin it names can: the relay refuses anyone else, and that is said.
import { ChatError } from '../chat';
import { rotateRoomKey } from '../chat/rotation';
import { isDmRoom } from '../protocol/rooms';
import { escapeName } from './format';
import { memberKey, printInvite, type RoomsChat } from './rooms-chat';
import { errorLine } from './session';

export async function rotate(chat: RoomsChat, removeName?: string, adminName?: string): Promise<boolean> {
  const room = chat.current;
  const say = (text: string): void => chat.io.err(text);
  if (isDmRoom(room.name)) return (say("whatsudp: a direct message's key comes from your two device keys: it is not rotated"), false);
  const removeKey = removeName === undefined ? undefined : await memberKey(chat, removeName);
  if (removeName !== undefined && removeKey === undefined) return false;
  const adminKey = adminName === undefined ? undefined : await memberKey(chat, adminName);
  if (adminName !== undefined && adminKey === undefined) return false;
  let done;
  try {
    done = await rotateRoomKey(room.client, { ...(removeKey ? { remove: [removeKey] } : {}), ...(adminKey ? { admins: [Buffer.from(adminKey, 'base64url')] } : {}) });
  } catch (err) {
    if (!(err instanceof ChatError)) throw err;
    say(`whatsudp: cannot rotate the key of ${escapeName(room.label)}: ${errorLine(err).replace(/^whatsudp: /, '')}`);
    return false;
  }
  await printInvite(chat, room.name, done.secret);
  const removed = done.removed.length ? `; removed ${done.removed.length} (${done.removed.map((f) => f.slice(0, 8)).join(', ')})` : '';
  say(`* ${escapeName(room.label)} has a new key (epoch ${done.epoch}): ${done.kept.length} member${done.kept.length === 1 ? '' : 's'} kept${removed}. The old link lets no one new in: give the new one to those who should join`);
  if (adminName !== undefined) say(`* ${escapeName(adminName)} may now rotate the key of ${escapeName(room.label)} too (if you made it: an admin's word on admins does not count)`);
  return true;
}
