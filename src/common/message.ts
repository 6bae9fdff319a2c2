// What a message is and the one rule for its text, with no Node types: the engine, the CLI and the
// webview all import this, so a limit or a wording is written once.

/** Largest message text, in UTF-8 bytes. */
export const MAX_TEXT_BYTES = 64 * 1024;
export const MAX_NAME_CHARS = 32;
export const MAX_PATH_BYTES = 512;
export const MAX_LANGUAGE_BYTES = 64;

/** What a member can send. Text is UTF-8; a snippet is code with where it came from. */
export type SendableBody =
  | { kind: 'text'; text: string }
  | { kind: 'snippet'; text: string; path: string; startLine: number; endLine: number; language: string };

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
