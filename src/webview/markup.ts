// Peer text -> a small token tree: paragraphs with text, `inline code` and links, and ``` fenced
// blocks. Pure (no DOM), so the hostile-input tests run in plain Node; the DOM builder
// (render-text.ts) only ever turns these tokens into text nodes and a fixed set of elements.
//
// Safety rests on four choices: nothing here produces markup (a token's text is always shown as
// text), a link is only ever http(s)/mailto and its visible text is its own address (no
// "[label](url)" syntax, so a label cannot disguise where a link goes), an address that could still
// mislead (an invisible character, a user name before the host) is not made a link and a host the
// URL parser would rewrite is shown as rewritten ("xn--" for a non-ASCII host), and control characters
// are replaced by visible placeholders before anything else looks at the text.

import { charLabel, visibleName } from '../common/names';
import { controlPattern } from '../common/control';
import { readable } from './markers';

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'link'; text: string; href: string }
  /** Reads like a link but is not made one: `why` says what could mislead (shown on hover). */
  | { kind: 'suspect'; text: string; why: string };

export type Block =
  | { kind: 'paragraph'; inlines: Inline[] }
  | { kind: 'fence'; info: string; text: string };

/** A link longer than this is cut: it bounds the work a hostile "http://http://..." line can cause. */
export const MAX_LINK_CHARS = 2048;

// Control characters (common/control.ts) but tab and line feed, which the layout uses, and the
// line separators, which can do no harm in a page; plus the bidi embeddings, overrides
// and isolates that can make text read differently from how it is stored ("Trojan Source").
const SHOWN = { keep: '\t\n', separators: false, bidi: 'overrides' } as const;
const CONTROL = controlPattern(SHOWN);
const CONTROLS = controlPattern(SHOWN, 'g');

function placeholder(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code); // U+241B "␛" for ESC, "␇" for BEL...
  if (code === 0x7f) return '\u2421'; // "␡"
  return '\ufffd'; // C1 and bidi controls have no picture of their own
}

function pictures(text: string): string {
  return CONTROL.test(text) ? text.replace(CONTROLS, placeholder) : text;
}

/** Replaces control characters with visible placeholders, so "ESC [31m" reads as "␛[31m", and writes
 * out invisible characters that could disguise a name or a path, as "ali⟨ZWSP⟩ce" (the rule of
 * common/names.ts, which leaves the joiners of emoji and of Arabic or Indic spelling alone). dom.ts
 * passes every text it sets through this; message bodies go through parseMessage instead. */
export function visibleControls(text: string): string {
  return visibleName(pictures(text));
}

// CommonMark-like fences: the opening run is 3+ backticks and its info string has no backtick
// (so "```x```" on one line stays an inline code span); the closing run is at least as long.
const FENCE_OPEN = /^ {0,3}(`{3,})([^`]*)$/;
const FENCE_CLOSE = /^ {0,3}(`{3,})[ \t]*$/;

/** Parses a message. An unterminated fence runs to the end of the message, as in CommonMark. */
export function parseMessage(source: string): Block[] {
  const text = pictures(source.replace(/\r\n/g, '\n'));
  if (text === '') return [];
  const lines = text.split('\n');
  const blocks: Block[] = [];
  let para: string[] = [];
  const flush = (): void => {
    const joined = para.join('\n');
    para = [];
    if (joined !== '') blocks.push({ kind: 'paragraph', inlines: parseInline(joined) });
  };
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i]);
    if (!open) {
      para.push(lines[i]);
      continue;
    }
    flush();
    const fenceLength = open[1].length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = FENCE_CLOSE.exec(lines[j]);
      if (close && close[1].length >= fenceLength) break;
      body.push(lines[j]);
    }
    // Only the first word names the language, as in CommonMark; it is shown as a label, nothing more.
    const info = open[2].trim().split(/\s+/)[0].slice(0, 32);
    blocks.push({ kind: 'fence', info, text: body.join('\n') });
    i = j; // skip the closing line (or we are past the end)
  }
  flush();
  return blocks;
}

/** Parses one paragraph: code spans first (nothing inside them is a link), then links. Linear time. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  // Backtick-run lengths with no closing run left: each length is searched to the end at most once,
  // which keeps "` `` ``` ..." from costing quadratic time.
  const unclosed = new Set<number>();
  let textStart = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x60 /* ` */) {
      const n = runLength(text, i);
      const close = unclosed.has(n) ? -1 : findClosingRun(text, i + n, n);
      if (close < 0) {
        unclosed.add(n);
        i += n; // literal backticks stay part of the text
        continue;
      }
      if (i > textStart) out.push({ kind: 'text', text: text.slice(textStart, i) });
      out.push({ kind: 'code', text: trimCodeSpan(text.slice(i + n, close)) });
      i = textStart = close + n;
      continue;
    }
    const end = (c | 0x20) === 0x68 /* h */ || (c | 0x20) === 0x6d /* m */ ? linkEnd(text, i) : -1;
    if (end > i) {
      if (i > textStart) out.push({ kind: 'text', text: text.slice(textStart, i) });
      out.push(linkToken(text.slice(i, end)));
      i = textStart = end;
      continue;
    }
    i++;
  }
  if (textStart < text.length) out.push({ kind: 'text', text: text.slice(textStart) });
  return out;
}

function runLength(text: string, at: number): number {
  let end = at;
  while (text.charCodeAt(end) === 0x60) end++;
  return end - at;
}

function findClosingRun(text: string, from: number, n: number): number {
  for (let at = text.indexOf('`', from); at >= 0; ) {
    const len = runLength(text, at);
    if (len === n) return at;
    at = text.indexOf('`', at + len);
  }
  return -1;
}

/** "`` `x` ``" shows "`x`": one space on each side is padding, as in CommonMark. */
function trimCodeSpan(code: string): string {
  if (code.length >= 2 && code[0] === ' ' && code[code.length - 1] === ' ' && code.trim() !== '') {
    return code.slice(1, -1);
  }
  return code;
}

// A link ends at white space (but not U+FEFF, which is invisible: linkToken must see it), a quote or
// angle bracket, and at the placeholders visibleControls left.
const HTTP = new RegExp(`https?://[^\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000<>"\`\\u2400-\\u2426\\ufffd]{1,${MAX_LINK_CHARS - 8}}`, 'iy');
const MAILTO = /mailto:[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}/iy;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** Letter or digit, ASCII answered without a Unicode regex (those are costly to compile). */
function isAlnum(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
  return LETTER_OR_DIGIT.test(ch);
}

/** End of an http(s) or mailto link starting at `at`, or -1. Anything else (javascript:, data:, ...) is text. */
function linkEnd(text: string, at: number): number {
  if (at > 0 && (isAlnum(text[at - 1]) || text[at - 1] === '_')) return -1; // "xhttp://" is not a link
  MAILTO.lastIndex = at;
  const mail = MAILTO.exec(text);
  if (mail) return at + mail[0].length;
  // Checking the scheme and the host's first character before the long match keeps a failed
  // attempt O(1); after it, the match cannot fail, so every long scan is consumed as a link.
  const head = text.slice(at, at + 8).toLowerCase();
  const hostAt = head.startsWith('https://') ? at + 8 : head.startsWith('http://') ? at + 7 : -1;
  if (hostAt < 0 || hostAt >= text.length || !(isAlnum(text[hostAt]) || text[hostAt] === '[')) return -1;
  HTTP.lastIndex = at;
  const url = (HTTP.exec(text) as RegExpExecArray)[0];
  // Sentence punctuation after a link is not part of it; a ")" or "]" is, when the link opened one.
  let open = 0;
  let close = 0;
  for (const ch of url) {
    if (ch === '(' || ch === '[') open++;
    else if (ch === ')' || ch === ']') close++;
  }
  let end = url.length;
  for (;;) {
    const last = url[end - 1];
    if ('.,:;!?\'"*'.includes(last)) end--;
    else if ((last === ')' || last === ']') && open < close) {
      end--;
      close--;
    } else break;
  }
  return at + end;
}

// Drawn as nothing, so they can hide inside an address; LRM and RLM also turn the text around them.
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;

/** A link for `url` (from linkEnd), or why it is not one. Its host is shown as the URL parser reads
 * it whenever that differs from what was typed: "https://раypal.com" reads "https://xn--ypal-43d9g.com",
 * "http://0x7f.1" reads "http://127.0.0.1", so a link's text is where it goes. */
export function linkToken(url: string): Inline {
  const hidden = INVISIBLE.exec(url);
  if (hidden) {
    const label = charLabel(hidden[0].codePointAt(0) as number);
    return { kind: 'suspect', text: url, why: `Not a link: it holds an invisible character (${label}), so it may not go where it seems to.` };
  }
  if (url[0] === 'm' || url[0] === 'M') return { kind: 'link', text: url, href: url }; // mailto: is ASCII only
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { kind: 'text', text: url };
  }
  if (parsed.username || parsed.password) {
    return { kind: 'suspect', text: url, why: `Not a link: what comes before "@" is a user name; this address goes to ${parsed.hostname}.` };
  }
  const hostAt = url.indexOf('//') + 2;
  let hostEnd = hostAt;
  while (hostEnd < url.length && !'/?#\\'.includes(url[hostEnd])) hostEnd++;
  const authority = url.slice(hostAt, hostEnd);
  const portAt = authority[0] === '[' ? authority.indexOf(']:') + 1 : authority.lastIndexOf(':');
  const host = portAt > 0 ? authority.slice(0, portAt) : authority;
  if (host.toLowerCase() === parsed.hostname) return { kind: 'link', text: url, href: url };
  const shown = url.slice(0, hostAt) + parsed.hostname + url.slice(hostAt + host.length);
  return { kind: 'link', text: shown, href: shown };
}

/** The text a reader hears, block by block (the screen-reader announcement, and tests): as shown,
 * with combining marks past MAX_MARKS left out and counted. */
export function plainText(blocks: readonly Block[]): string {
  return blocks
    .map((b) => readable(b.kind === 'fence' ? b.text : b.inlines.map((t) => t.text).join('')))
    .join('\n');
}
