// The characters that are not plain text, in one place: which they are and why each group is on
// the list. Names refuse them, the seed's names lose them, the terminal and the webview show them as
// visible escapes. No Node types: the engine, the CLI and the webview all import this.

// C0 controls: ESC starts terminal escape sequences; NUL, BEL, BS and CR hide or rewrite a line.
const C0_FIRST = 0x00;
const C0_LAST = 0x1f;
// DEL and the C1 controls (U+009B is a one-character CSI on some terminals).
const DEL_C1 = '\\u007f-\\u009f';
// The Unicode line and paragraph separators: they break a line where no newline is to be seen.
const LINE_SEPARATORS = '\\u2028\\u2029';
// Bidirectional embeddings, overrides and isolates: they make text read differently from how it is
// stored ("Trojan Source").
const BIDI_OVERRIDES = '\\u202a-\\u202e\\u2066-\\u2069';
// Bidirectional marks (ALM, LRM, RLM): invisible, they turn the direction of what is around them.
const BIDI_MARKS = '\\u061c\\u200e\\u200f';

export interface ControlSet {
  /** C0 characters that stay: tab (code needs it), line feed where the caller splits lines itself. */
  keep?: string;
  /** Leave C0 out entirely (JSON.stringify escapes it already). Default true. */
  c0?: boolean;
  /** The line and paragraph separators. Default true. */
  separators?: boolean;
  /** Bidirectional controls: none (the default), the overrides, or all with the marks. */
  bidi?: 'none' | 'overrides' | 'all';
}

const hex = (code: number): string => `\\u${code.toString(16).padStart(4, '0')}`;

/** C0 as a character-class body, without the characters in `keep`. */
function c0Except(keep: string): string {
  let out = '';
  let start = -1;
  for (let code = C0_FIRST; code <= C0_LAST + 1; code++) {
    const inSet = code <= C0_LAST && !keep.includes(String.fromCharCode(code));
    if (inSet && start < 0) start = code;
    if (!inSet && start >= 0) {
      out += start === code - 1 ? hex(start) : `${hex(start)}-${hex(code - 1)}`;
      start = -1;
    }
  }
  return out;
}

/** The body of a character class (for `new RegExp(`[${...}]`, 'u')`) holding the chosen controls. */
export function controlClass(set: ControlSet = {}): string {
  const { keep = '', c0 = true, separators = true, bidi = 'none' } = set;
  return [
    c0 ? c0Except(keep) : '',
    DEL_C1,
    separators ? LINE_SEPARATORS : '',
    bidi !== 'none' ? BIDI_OVERRIDES : '',
    bidi === 'all' ? BIDI_MARKS : '',
  ].join('');
}

/** A regular expression matching one of the chosen controls (`flags` as for RegExp; `u` is added). */
export function controlPattern(set: ControlSet = {}, flags = ''): RegExp {
  return new RegExp(`[${controlClass(set)}]`, flags.includes('u') ? flags : `${flags}u`);
}

const CONTROL = controlPattern();

/** Whether text holds a C0 or C1 control, DEL, or a line or paragraph separator: what a name may not. */
export function hasControl(text: string): boolean {
  return CONTROL.test(text);
}
