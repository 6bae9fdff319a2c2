// What of a piece of peer text is drawn as itself and what as a small boxed marker: control
// pictures (markup.ts puts them in for control characters), invisible characters where they could
// disguise something (a declined link), and combining marks past MAX_MARKS on one character, which
// would otherwise stack into a tower that paints over the rows around it ("Zalgo" text). Pure, so
// plain Node tests see exactly what the panel draws; render-text.ts turns markers into elements.
import { charLabel } from '../common/names';
import { fmtCount } from '../common/message';

/** Combining marks drawn on one character. Real text needs far fewer: Vietnamese stacks two,
 * Tibetan and Myanmar syllables five or six. Unicode's own stream-safe limit is 30. */
export const MAX_MARKS = 8;

export type Piece =
  | { kind: 'text'; text: string }
  /** `text` is what the marker stands for: a control picture, an invisible character, or '' for
   * marks left out. */
  | { kind: 'marker'; why: 'control' | 'invisible' | 'marks'; label: string; title: string; text: string };

const C0_NAMES = 'NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US'.split(' ');
const hex = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

// A control picture; a run of combining marks and invisibles long enough to hold too many marks (a
// joiner between marks must not reset the count: the tower stacks all the same); an invisible.
const PARTS = `([\\u2400-\\u241f\\u2421])|([\\p{M}\\p{Default_Ignorable_Code_Point}]{${MAX_MARKS + 1},})`;
const FOUND = new RegExp(PARTS, 'gu');
const FOUND_REVEALING = new RegExp(`${PARTS}|(\\p{Default_Ignorable_Code_Point})`, 'gu');
const MARK = /\p{M}/u;
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;

function control(picture: string): Piece {
  const code = picture.charCodeAt(0) - 0x2400;
  const name = code === 0x21 ? 'DEL' : C0_NAMES[code];
  const title = `Control character ${name} (${hex(code === 0x21 ? 0x7f : code)}), shown instead of being applied`;
  return { kind: 'marker', why: 'control', label: name, title, text: picture };
}

function invisible(ch: string): Piece {
  const cp = ch.codePointAt(0) as number;
  const label = charLabel(cp);
  const title = `Invisible character ${label === hex(cp) ? label : `${label} (${hex(cp)})`}, shown because it could make this look like something it is not`;
  return { kind: 'marker', why: 'invisible', label, title, text: ch };
}

function marks(count: number): Piece {
  return {
    kind: 'marker',
    why: 'marks',
    label: `+${fmtCount(count)} marks`,
    title: `${fmtCount(count)} more combining marks on this character, not drawn: stacked, they would cover other messages`,
    text: '',
  };
}

type Add = (piece: Piece) => void;

/** Splits a run of marks and invisibles: the first MAX_MARKS marks stay, the rest are counted. */
function markRun(run: string, reveal: boolean, add: Add): void {
  let count = 0;
  let dropped = 0;
  for (const ch of run) {
    const isMark = MARK.test(ch);
    if (isMark) count++;
    if (count > MAX_MARKS) {
      if (isMark) dropped++;
    } else if (reveal && INVISIBLE.test(ch)) add(invisible(ch));
    else add({ kind: 'text', text: ch });
  }
  if (dropped > 0) add(marks(dropped));
}

/** `text` as text and markers, in order. With `reveal`, every invisible character is a marker too. */
export function pieces(text: string, reveal = false): Piece[] {
  const out: Piece[] = [];
  // Neighbouring texts (a mark run's kept part and the text before it) go out as one.
  const add: Add = (piece) => {
    const last = out[out.length - 1];
    if (piece.kind === 'text' && last?.kind === 'text') last.text += piece.text;
    else out.push(piece);
  };
  const found = reveal ? FOUND_REVEALING : FOUND;
  found.lastIndex = 0;
  let from = 0;
  for (let m = found.exec(text); m; m = found.exec(text)) {
    if (m.index > from) add({ kind: 'text', text: text.slice(from, m.index) });
    if (m[1]) add(control(m[1]));
    else if (m[2]) markRun(m[2], reveal, add);
    else add(invisible(m[0]));
    from = m.index + m[0].length;
  }
  if (from < text.length) add({ kind: 'text', text: text.slice(from) });
  return out;
}

/** The text as a screen reader should hear it: controls keep their pictures ("␛"), and marks past
 * MAX_MARKS are left out with a note of how many. */
export function readable(text: string): string {
  return pieces(text)
    .map((p) => (p.kind === 'text' ? p.text : p.why === 'marks' ? ` [${p.label}] ` : p.text))
    .join('');
}
