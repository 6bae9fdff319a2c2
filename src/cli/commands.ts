// What a line of `whatsudp chat`'s standard input means when commands are on (standard input is a
// terminal, or --commands): a line that starts with "/" is a command, "//" sends a line that starts
// with "/", anything else is a message. Piped lines stay messages unless --commands is given, as
// the README promises. An unknown command sends nothing and says so. The room commands (/rooms,
// /join, /create, /dm, /leave; issue 11) are read here and carried out by room-commands.ts.
import type { SendableBody } from '../common/message';
import { InviteError, parseInvite, type Invite } from '../protocol/invite';
import { roomNameProblem } from '../protocol/rooms';

export const COMMANDS_HELP = [
  'commands (a line starting with "/"; "//" sends a line that starts with "/"):',
  '  /reply SEQ TEXT     answer message #SEQ',
  '  /react SEQ EMOJI    react to message #SEQ; /unreact SEQ EMOJI takes it back',
  '  /edit SEQ TEXT      replace the text of your message #SEQ',
  '  /delete SEQ         delete your message #SEQ',
  '  /rooms              the relay\'s rooms: a lock for a sealed one, members, what you have not read',
  '  /join ROOM          join ROOM (or go back to it) and make it the current room: lines go there',
  '  /join LINK          a sealed room by its invite link (a room of the relay this chat is on)',
  '  /create ROOM [--sealed]  make ROOM and join it; --sealed prints its invite link (stderr)',
  '  /dm NAME            a direct message with NAME, a member of the current room (or, away, the one',
  '                      key seen under NAME on this device)',
  '  /leave [ROOM]       leave ROOM (default: the current room; the first room you joined is current then)',
  '  /rotate [--remove NAME | --admin NAME]  a new key for the current sealed room (its creator or',
  '                      admins), --remove leaving NAME out; --admin NAME (creator only) lets NAME',
  '                      rotate it too; prints the new invite link: the old one lets no one new in',
  '  /send PATH [CAPTION] send a file (at most 16 MiB; a path with spaces in quotes) to the current room',
  '  /get SEQ [PATH]     save file #SEQ of the current room in folder PATH (under its sender\'s name made',
  '                      safe; default: this folder) or as file PATH; never overwrites: "name (1).pdf"',
  '  /cancel             stop every /send and /get still going (nothing is sent or saved of them)',
  '  /help               this list',
  'SEQ is the number --seq prints before each message (and --json has as "seq"). Messages of a joined',
  'room other than the current one print after "[ROOM] " (a direct message\'s after "[dm NAME] ").',
];

/** What a room command asks for (room-commands.ts carries it out). Names are lower-cased already. */
export type RoomCommand =
  | { kind: 'rooms' }
  | { kind: 'join'; room: string; invite?: Invite }
  | { kind: 'create'; room: string; sealed: boolean }
  | { kind: 'dm'; who: string }
  | { kind: 'leave'; room?: string }
  | { kind: 'rotate'; remove?: string; admin?: string };

/** What a file command asks for (file-commands.ts carries it out). */
export type FileCommand = { kind: 'send'; path: string; caption: string } | { kind: 'get'; seq: number; dest?: string } | { kind: 'cancel' };

export type Command = { send: SendableBody } | { help: true } | { room: RoomCommand } | { file: FileCommand } | { error: string };

/** A room's name as typed: lower-cased (room names are), or why it cannot be one. */
export function typedRoom(typed: string): { room: string } | { error: string } {
  const room = typed.trim().toLowerCase();
  const problem = roomNameProblem(room);
  return problem ? { error: problem } : { room };
}

/** /join LINK: a sealed room by its invite link (either form), or what is wrong with the link. */
function joinLink(link: string): Command {
  try {
    const invite = parseInvite(link);
    const r = typedRoom(invite.room);
    return 'error' in r ? r : { room: { kind: 'join', room: r.room, invite } };
  } catch (err) {
    if (err instanceof InviteError) return { error: `/join: ${err.message.replace(/\.$/, '')}` };
    throw err;
  }
}

function roomCommand(name: string, rest: string): Command | undefined {
  const words = rest.trim() === '' ? [] : rest.trim().split(/\s+/);
  const usage = (u: string): Command => ({ error: `usage: ${u}` });
  const one = (u: string, make: (room: string) => RoomCommand): Command => {
    if (words.length !== 1) return usage(u);
    const r = typedRoom(words[0]);
    return 'error' in r ? r : { room: make(r.room) };
  };
  switch (name) {
    case 'rooms':
      return rest.trim() === '' ? { room: { kind: 'rooms' } } : usage('/rooms');
    case 'join':
      if (words.length === 1 && words[0].includes('://')) return joinLink(words[0]);
      return one('/join ROOM', (room) => ({ kind: 'join', room }));
    case 'create': {
      const sealed = words.includes('--sealed');
      const names = words.filter((w) => w !== '--sealed');
      if (names.length !== 1 || words.length - names.length > 1) return usage('/create ROOM [--sealed]');
      const r = typedRoom(names[0]);
      return 'error' in r ? r : { room: { kind: 'create', room: r.room, sealed } };
    }
    case 'dm':
      // A member's name may have spaces: the rest of the line is the name.
      return rest.trim() === '' ? usage('/dm NAME (a member of the current room)') : { room: { kind: 'dm', who: rest.trim() } };
    case 'leave':
      return rest.trim() === '' ? { room: { kind: 'leave' } } : one('/leave [ROOM]', (room) => ({ kind: 'leave', room }));
    case 'rotate': {
      if (rest.trim() === '') return { room: { kind: 'rotate' } };
      const m = /^--(remove|admin)\s+(\S.*)$/s.exec(rest.trim());
      const who = m?.[2].trim();
      if (!m || !who) return usage('/rotate [--remove NAME | --admin NAME]');
      return { room: m[1] === 'remove' ? { kind: 'rotate', remove: who } : { kind: 'rotate', admin: who } };
    }
    default:
      return undefined;
  }
}

/** A path as typed: in double or single quotes (then it may hold spaces), or up to the first space. */
function typedPath(text: string): { path: string; rest: string } | undefined {
  const m = /^(?:"([^"]*)"|'([^']*)'|(\S+))(.*)$/s.exec(text.trim());
  const path = m?.[1] ?? m?.[2] ?? m?.[3] ?? '';
  return m && path !== '' ? { path, rest: m[4].trim() } : undefined;
}

function fileCommand(name: string, rest: string): Command | undefined {
  switch (name) {
    case 'send': {
      const p = typedPath(rest);
      return p ? { file: { kind: 'send', path: p.path, caption: p.rest } } : { error: 'usage: /send PATH [CAPTION] (a path with spaces in quotes)' };
    }
    case 'get': {
      const [seqWord = ''] = rest.trim().split(/\s/, 1);
      const seq = SEQ.exec(seqWord);
      if (!seq || Number(seq[1]) === 0) return { error: 'usage: /get SEQ [PATH] (SEQ is a file message\'s number, as --seq and the message show it)' };
      // The rest of the line is the path: a folder's name may have spaces, quoted or not.
      const tail = rest.trim().slice(seqWord.length).trim();
      const quoted = /^"([^"]*)"$|^'([^']*)'$/s.exec(tail);
      const dest = quoted ? (quoted[1] ?? quoted[2]) : tail;
      return { file: { kind: 'get', seq: Number(seq[1]), ...(dest !== '' ? { dest } : {}) } };
    }
    case 'cancel':
      return rest.trim() === '' ? { file: { kind: 'cancel' } } : { error: 'usage: /cancel' };
    default:
      return undefined;
  }
}

const SEQ = /^#?(\d{1,10})$/;

/** The message a line sends (`commands` off: always the line itself). */
export function lineToCommand(line: string, commands: boolean): Command {
  if (!commands || !line.startsWith('/')) return { send: { kind: 'text', text: line } };
  if (line.startsWith('//')) return { send: { kind: 'text', text: line.slice(1) } };
  const m = /^\/(\S+)\s*(.*)$/s.exec(line);
  const [name, rest] = [m?.[1] ?? '', m?.[2] ?? ''];
  const [seqWord, ...words] = rest.split(/\s+/);
  const seq = SEQ.exec(seqWord ?? '');
  const to = seq ? Number(seq[1]) : 0;
  const text = rest.slice((seqWord ?? '').length).replace(/^\s+/, '');
  const needSeq = (usage: string): Command => ({ error: `usage: ${usage} (SEQ is a message's number, as --seq shows it)` });
  const room = roomCommand(name, rest) ?? fileCommand(name, rest);
  if (room) return room;
  switch (name) {
    case 'help':
      return { help: true };
    case 'reply':
      if (!to || text === '') return needSeq('/reply SEQ TEXT');
      return { send: { kind: 'text', text, replyTo: to } };
    case 'react':
    case 'unreact':
      if (!to || words.length !== 1) return needSeq(`/${name} SEQ EMOJI`);
      return { send: { kind: 'reaction', text: '', to, emoji: words[0], remove: name === 'unreact' } };
    case 'edit':
      if (!to || text === '') return needSeq('/edit SEQ TEXT');
      return { send: { kind: 'edit', text, to } };
    case 'delete':
      if (!to || words.length > 0) return needSeq('/delete SEQ');
      return { send: { kind: 'delete', text: '', to } };
    default:
      return { error: `unknown command "/${name}": nothing sent (/help lists the commands; "//" sends a line that starts with "/")` };
  }
}
