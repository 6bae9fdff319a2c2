// What the composer says about a draft before it is sent. Pure, so the limits are unit-tested:
// the relay refuses messages over maxBytes UTF-8 bytes, and the reader should learn that while
// typing, not from a failed send.

export interface DraftCheck {
  canSend: boolean;
  bytes: number;
  /** "52,431 / 65,536 bytes" near or over the limit, '' otherwise. */
  count: string;
  /** Why it cannot be sent ('' when it can, or when the draft is simply empty). */
  problem: string;
}

/** Share of the limit from which the byte count is shown. */
export const SHOW_COUNT_FROM = 0.8;

/** UTF-8 length without encoding (called on every keystroke, drafts can be 64 KiB). */
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

const fmt = (n: number): string => n.toLocaleString('en-US');

export function checkDraft(text: string, maxBytes: number): DraftCheck {
  const bytes = utf8Length(text);
  const count = bytes >= maxBytes * SHOW_COUNT_FROM ? `${fmt(bytes)} / ${fmt(maxBytes)} bytes` : '';
  if (bytes > maxBytes) {
    return { canSend: false, bytes, count, problem: `Too long to send: remove ${fmt(bytes - maxBytes)} bytes.` };
  }
  if (text.trim() === '') {
    return { canSend: false, bytes, count, problem: text === '' ? '' : 'Only spaces and line breaks: nothing to send.' };
  }
  return { canSend: true, bytes, count, problem: '' };
}
