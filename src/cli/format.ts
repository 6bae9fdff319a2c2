// How the terminal client shows room messages: `name: text` lines for people, JSON lines for scripts.
// Pure functions, so that what a hostile peer can make appear on a terminal is tested without sockets.
import type { MessageBody } from '../protocol/packets';
import { isAction, type ActionBody, type FileBody, type FileInfo } from '../common/message';
import { formatBytes } from './file-meta';
import type { Change, Entry } from '../common/thread';
import type { RoomMessage, Sender } from '../chat';
import { controlPattern } from '../common/control';
import { KIND_REKEY } from '../protocol/kinds';

// What a peer must not send raw to a terminal: every control character (common/control.ts says why
// each is one) and all the bidirectional controls, which can make a line read differently from what
// it says. Tab stays in message text: it only moves the cursor, and code needs it.
const UNSAFE_IN_TEXT = controlPattern({ keep: '\t', bidi: 'all' }, 'g');
const UNSAFE_IN_NAME = controlPattern({ bidi: 'all' }, 'g');
// JSON.stringify escapes C0 itself; the rest it leaves raw, and they are as unsafe on a terminal.
const UNSAFE_IN_JSON = controlPattern({ c0: false, bidi: 'all' }, 'g');

/** The visible escape for one unsafe character: `\x1b` below U+0100, `\u202e` above. */
function visible(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of message text with every unsafe character made visible (tabs kept). */
export function escapeLine(line: string): string {
  return line.replace(UNSAFE_IN_TEXT, visible);
}

/** A name or path as one visible line: tabs and newlines escaped too. */
export function escapeName(name: string): string {
  return name.replace(UNSAFE_IN_NAME, visible);
}

/** Splits text into lines (LF or CRLF; a lone CR is not a line break and shows as `\x0d`). */
export function textLines(text: string): string[] {
  return text.split(/\r?\n/);
}

const INDENT = '  ';

/** After the name of a legacy (seed) sender: anyone on the network can send any name in a seed
 * datagram, so the name is a claim. A name cannot hide it: the mark comes after whatever it says. */
export const UNVERIFIED_MARK = ' [unverified]';

/** A file message's line after the sender: `📎 report.pdf (1.2 MiB)`, an image's size after it. The
 * name is the sender's: shown escaped like any text of theirs. */
export function fileLine(body: FileBody): string {
  const { name, size, width, height } = body.file;
  const box = width !== undefined && height !== undefined ? `, ${width}×${height}` : '';
  return `📎 ${escapeName(name)} (${formatBytes(size)}${box})`;
}

/** A message as terminal lines (no final newline): the first after `name: ` (`name [unverified]: `
 * for a legacy sender), the rest indented. `seq`, where /get can fetch it: a file says how. */
export function formatMessage(name: string, body: MessageBody, unverified = false, seq?: number): string {
  // A reaction, edit or delete as what it does (the relay's --log has no thread to say to whose message).
  if (isAction(body)) return formatAction(name, body, { kind: 'message' });
  const who = escapeName(name) + (unverified ? UNVERIFIED_MARK : '');
  // In the place of a message this version cannot show: marked, so it is never taken for text.
  // A sealed room's new key (issue 9) is an event of the room, said as one, not a message withheld.
  if (body.kind === 'placeholder' && body.code === KIND_REKEY) return `* ${who} ${escapeName(body.reason)}`;
  if (body.kind === 'placeholder') return `${who}: [not shown: ${escapeName(body.reason)}]`;
  if (body.kind === 'snippet') {
    const lines = textLines(body.text);
    // Code selected up to the end of its last line ends with a newline: no empty line for it.
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    const where = `[${escapeName(body.path)}:${body.startLine}-${body.endLine}]`;
    return [`${who}: ${where}`, ...lines.map((l) => INDENT + escapeLine(l))].join('\n');
  }
  if (body.kind === 'file') {
    // The caption, if any, under the file's line, as a message's further lines are.
    const caption = body.text === '' ? [] : textLines(body.text);
    return [`${who}: ${fileLine(body)}${seq !== undefined ? ` — /get ${seq} to save` : ''}`, ...caption.map((l) => INDENT + escapeLine(l))].join('\n');
  }
  const [first, ...rest] = textLines(body.text);
  return [`${who}: ${escapeLine(first)}`, ...rest.map((l) => INDENT + escapeLine(l))].join('\n');
}

/** A reply's second line: what it answers (`quoted`: the original as this reader has it, if it has it). */
export function replyLine(to: number, quoted: Entry | undefined): string {
  if (!quoted) return `${INDENT}(in reply to #${to}, older than this chat's history)`;
  const what = quoted.deleted ? '[deleted]' : firstLine({ kind: 'text', text: quoted.text }, 60);
  return `${INDENT}(in reply to #${to} ${escapeName(quoted.author)}: ${what})`;
}

/** A reaction, edit or delete as one line: what happened to which message (`c`: what the reader made of it). */
export function formatAction(name: string, b: ActionBody, c: Change): string {
  const who = escapeName(name);
  if (c.kind === 'ignored') return `* ignored: ${who}'s ${b.kind} of #${b.to} (${escapeName(c.reason)})`;
  const of = c.kind === 'changed' ? ` (${escapeName(c.entry.author)})` : '';
  switch (b.kind) {
    case 'reaction':
      return b.remove ? `* ${who} took back ${escapeName(b.emoji)} on #${b.to}${of}` : `* ${who} reacted ${escapeName(b.emoji)} to #${b.to}${of}`;
    case 'edit': {
      const [first, ...rest] = textLines(b.text);
      return [`* ${who} edited #${b.to}: ${escapeLine(first)}`, ...rest.map((l) => INDENT + escapeLine(l))].join('\n');
    }
    case 'delete':
      return `* ${who} deleted #${b.to}`;
    default: {
      const _exhaustive: never = b;
      return _exhaustive;
    }
  }
}

/** The first line of a message, escaped and cut short, to name it in an error. */
export function firstLine(body: MessageBody, maxChars = 80): string {
  if (body.kind === 'file') return fileLine(body);
  const line = textLines(body.text).find((l) => l.trim() !== '') ?? '';
  const chars = [...line];
  const cut = chars.length > maxChars ? chars.slice(0, maxChars - 1).join('') + '…' : line;
  return escapeLine(cut).replace(/\t/g, ' ');
}

/** The JSON shape of one message: the same keys for every message, null where a field does not apply. */
export interface MessageJson {
  seq: number | null;
  time: number;
  msgId: number | null;
  sender: Sender;
  kind: MessageBody['kind'];
  text: string;
  path: string | null;
  startLine: number | null;
  endLine: number | null;
  language: string | null;
  /** Why a placeholder stands in this seq's place (kind "placeholder"); null for every other kind. */
  reason: string | null;
  backfill: boolean;
  /** True only for a message whose author's signature checked out (false for a seed line and a placeholder). */
  verified: boolean;
  /** The fingerprint of the key that signed the message: who wrote it, whatever the name says. Null
   * for a seed line and for a message whose signature did not check out. */
  fingerprint: string | null;
  /** A reply: the seq of the message it answers (kind "text"); null otherwise. */
  replyTo: number | null;
  /** A reaction, edit or delete: the seq of the message it acts on; null for every other kind. */
  to: number | null;
  /** A reaction's emoji, and whether it takes the reaction back; null for every other kind. */
  emoji: string | null;
  remove: boolean | null;
  /** The room the message is in (issue 11: a chat can be in several); null for a seed line. */
  room: string | null;
  /** A file (kind "file", issue 14): what its message says of it (never its key: a log must not
   * hand out a sealed room's files); its caption is `text`. Null for every other kind. */
  file: FileJson | null;
}

export type FileJson = Omit<FileInfo, 'id' | 'key'>;

function fileJson(body: FileBody): FileJson {
  const { name, size, sha256, mime, width, height } = body.file;
  return { name, size, sha256, mime, ...(width !== undefined ? { width } : {}), ...(height !== undefined ? { height } : {}) };
}

export function messageJson(msg: RoomMessage, backfill: boolean, room = 'main'): MessageJson {
  const snippet = msg.kind === 'snippet' ? msg : undefined;
  return {
    seq: msg.seq,
    time: msg.time,
    msgId: msg.msgId,
    sender: { id: msg.sender.id, name: msg.sender.name, legacy: msg.sender.legacy },
    kind: msg.kind,
    text: msg.text,
    path: snippet?.path ?? null,
    startLine: snippet?.startLine ?? null,
    endLine: snippet?.endLine ?? null,
    language: snippet?.language ?? null,
    reason: msg.kind === 'placeholder' ? msg.reason : null,
    backfill,
    verified: msg.verified === true,
    fingerprint: msg.verified === true ? (msg.sender.fingerprint ?? null) : null,
    replyTo: msg.kind === 'text' ? (msg.replyTo ?? null) : null,
    to: isAction(msg) ? msg.to : null,
    emoji: msg.kind === 'reaction' ? msg.emoji : null,
    remove: msg.kind === 'reaction' ? msg.remove : null,
    room,
    file: msg.kind === 'file' ? fileJson(msg) : null,
  };
}

export const LEGACY_SENDER_ID = '0000000000000000';

/** A seed datagram in the same shape: the seed has no seq or msgId, and the time is when it arrived. */
export function legacyJson(name: string, text: string, time: number): MessageJson {
  return {
    seq: null,
    time,
    msgId: null,
    sender: { id: LEGACY_SENDER_ID, name, legacy: true },
    kind: 'text',
    text,
    path: null,
    startLine: null,
    endLine: null,
    language: null,
    reason: null,
    backfill: false,
    verified: false,
    fingerprint: null,
    replyTo: null,
    to: null,
    emoji: null,
    remove: null,
    room: null,
    file: null,
  };
}

/** One JSON line that is safe on a terminal and still parses to the same value. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE_IN_JSON, (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);
}
