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

/** What a member can send. Text is UTF-8; a snippet is code with where it came from. */
export type SendableBody = TextBody | SnippetBody | ActionBody;

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
