// What a message is and the one rule for its text, with no Node types: the engine, the CLI and the
// webview all import this, so a limit or a wording is written once.

/** Largest message text, in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 64 * 1024;
export const MAX_NAME_CHARS = 32;
export const MAX_PATH_BYTES = 512;
export const MAX_LANGUAGE_BYTES = 64;

/** A text; `replyTo` is the seq (in the same room) of the message it answers. */
export type TextBody = { kind: 'text'; text: string; replyTo?: number };
export type SnippetBody = { kind: 'snippet'; text: string; path: string; startLine: number; endLine: number; language: string };

/** What a member does to a message already in the room (`to`, its seq): a reaction added or taken
 * back, an edit or a delete of one's own message (which readers check by the signing key, not the
 * name: src/common/thread.ts). Each is a message of its own, signed, sequenced and stored like any. */
export type ActionBody =
  | { kind: 'reaction'; text: ''; to: number; emoji: string; remove: boolean }
  | { kind: 'edit'; text: string; to: number }
  | { kind: 'delete'; text: ''; to: number };

/** A file's plaintext is at most this many bytes (16 MiB; issue 14). */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** A file's name as its sender gave it, at most this many UTF-8 bytes (anything that saves one uses
 * safeFileName, src/common/filename.ts: the name is the sender's, untrusted). */
export const MAX_FILE_NAME_BYTES = 1024;
/** An image's side, at most. */
export const MAX_IMAGE_SIDE = 65535;

/** A file uploaded to the relay (issue 14): what a kind-15 message names. `id` is 32 hex digits (the
 * relay's name for it), `key` the base64url of the 32-byte AES-256-GCM key its chunks are sealed with
 * (it travels only in the message), `sha256` the plaintext's, 64 hex digits. `width` and `height`
 * (both or neither) are an image's, for the box it is shown in before its bytes come. */
export interface FileInfo {
  id: string;
  key: string;
  name: string;
  size: number;
  sha256: string;
  mime: string;
  width?: number;
  height?: number;
}

/** A file with a caption (`text`, may be ''). */
export type FileBody = { kind: 'file'; text: string; file: FileInfo };

/** What a member can send. Text is UTF-8; a snippet is code with where it came from. */
export type SendableBody = TextBody | SnippetBody | ActionBody | FileBody;

/** A size for a person: `512 B`, `1.2 KiB`, `700.0 MiB`. */
export function fileSizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) [value, unit] = [value / 1024, unit + 1];
  return `${value.toFixed(1)} ${units[unit]}`;
}

const FILE_ID = /^[0-9a-f]{32}$/;
/** 32 bytes in base64url without padding: 43 characters, the last carrying 2 unused zero bits. */
const FILE_KEY = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** type/subtype, RFC 6838's restricted names, nothing after (no parameters). */
const MIME = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
const isSide = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_IMAGE_SIDE;

/** Why a FileInfo is not one (the field, for a developer), or undefined: the one check of what a
 * kind-15 message may carry, made before sending and on receipt (a bad field there is a placeholder). */
export function fileInfoProblem(f: FileInfo): string | undefined {
  if (typeof f.id !== 'string' || !FILE_ID.test(f.id)) return 'id is not 32 hex digits';
  if (typeof f.key !== 'string' || !FILE_KEY.test(f.key)) return 'key is not 32 bytes of base64url';
  if (typeof f.name !== 'string' || f.name === '' || utf8Length(f.name) > MAX_FILE_NAME_BYTES) return `name is not 1 to ${MAX_FILE_NAME_BYTES} bytes`;
  if (typeof f.size !== 'number' || !Number.isInteger(f.size) || f.size < 0 || f.size > MAX_FILE_BYTES) return 'size is not 0 to 16 MiB';
  if (typeof f.sha256 !== 'string' || !SHA256_HEX.test(f.sha256)) return 'sha256 is not 64 hex digits';
  if (typeof f.mime !== 'string' || !MIME.test(f.mime)) return 'mime is not a type/subtype';
  if ((f.width === undefined) !== (f.height === undefined)) return 'an image has both a width and a height, or neither';
  if (f.width !== undefined && !(isSide(f.width) && isSide(f.height))) return `width and height are not 1 to ${MAX_IMAGE_SIDE}`;
  return undefined;
}

/** Why a file cannot be sent because of its size (with both sizes), or undefined. */
export function fileSizeProblem(name: string, size: number): string | undefined {
  return size > MAX_FILE_BYTES ? `${name} is ${tooLargeText(size, MAX_FILE_BYTES)}.` : undefined;
}

/** "700.0 MiB; files can be at most 16 MiB", in bytes when rounding would show the two sizes alike. */
export function tooLargeText(size: number, max: number): string {
  const [shown, limit] = [fileSizeText(size), fileSizeText(max).replace('.0 ', ' ')];
  if (shown.replace('.0 ', ' ') !== limit) return `${shown}; files can be at most ${limit}`;
  return `${size.toLocaleString('en-US')} bytes; files can be at most ${max.toLocaleString('en-US')} bytes (${limit})`;
}

export const isAction = (b: MessageBody): b is ActionBody => b.kind === 'reaction' || b.kind === 'edit' || b.kind === 'delete';

/** A reaction is one emoji (or a short word, as chat apps allow): at most this many characters. */
export const MAX_REACTION_CHARS = 16;

/** Why a reply, reaction, edit or delete cannot be sent (what it refers to, a reaction's emoji), or undefined. */
export function actionProblem(b: SendableBody): string | undefined {
  const to = b.kind === 'text' ? b.replyTo : isAction(b) ? b.to : undefined;
  if (to !== undefined && !(Number.isInteger(to) && to >= 1 && to <= 0xffffffff)) return `There is no message #${String(to)} to refer to.`;
  return b.kind === 'reaction' ? reactionProblem(b.emoji) : undefined;
}

/** Why a reaction cannot be sent, or undefined. */
export function reactionProblem(emoji: string): string | undefined {
  if (emoji.trim() === '' || [...emoji].length > MAX_REACTION_CHARS) return `A reaction is one emoji or a word of at most ${MAX_REACTION_CHARS} characters.`;
  if (/[\s\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/u.test(emoji)) return 'A reaction has no spaces, control or direction characters.';
  return undefined;
}

/** What a client delivers in a seq's place when it cannot show the message there: a kind a later
 * version added (`code` is its kind byte), or bytes that do not decode. Never sent: every seq is
 * used up, so the conversation goes on past it. `text` is empty; `reason` says why, for a person. */
export type PlaceholderBody = { kind: 'placeholder'; text: ''; reason: string; code?: number };

/** What a message is, as a member receives it. */
export type MessageBody = SendableBody | PlaceholderBody;

export type MessageKind = MessageBody['kind'];

/** Whether a body is one a member can send (again): everything but a placeholder. */
export const isSendable = (b: MessageBody): b is SendableBody => b.kind !== 'placeholder';

/** The reasons a placeholder gives, worded once. */
export const placeholder = {
  unknownKind: (code: number): PlaceholderBody => ({ kind: 'placeholder', text: '', reason: `a kind of message this version can't show (kind ${code})`, code }),
  undecodable: (): PlaceholderBody => ({ kind: 'placeholder', text: '', reason: 'a message that could not be decoded' }),
  /** A member's message without its author's signature: nobody can say who wrote it. */
  unsigned: (): PlaceholderBody => ({ kind: 'placeholder', text: '', reason: "a message without its author's signature" }),
  /** Its signature does not match its author, room or words: forged, or altered on the way or on disk. */
  forged: (): PlaceholderBody => ({ kind: 'placeholder', text: '', reason: "a message whose signature does not check out (altered or forged)" }),
};

/** UTF-8 length without encoding (the composer calls it on every keystroke; drafts can be 64 KiB). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3; // BMP, and lone surrogates (encoded as U+FFFD, 3 bytes)
  }
  return bytes;
}

export const fmtCount = (n: number): string => n.toLocaleString('en-US');

export type TextProblem = { code: 'EMPTY' | 'TOO_LARGE'; message: string; bytes: number };

/** Why a message text cannot be sent, or undefined when it can. The one wording of both rules. */
export function textProblem(text: string, bytes = utf8Length(text), limit = MAX_TEXT_BYTES): TextProblem | undefined {
  if (bytes > limit) {
    return { code: 'TOO_LARGE', bytes, message: `The message is ${fmtCount(bytes)} bytes; the limit is ${fmtCount(limit)} bytes${limit === MAX_TEXT_BYTES ? ' (64 KiB)' : ''}.` };
  }
  if (text.trim() === '') return { code: 'EMPTY', bytes, message: 'An empty message cannot be sent.' };
  return undefined;
}
