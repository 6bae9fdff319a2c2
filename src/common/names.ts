// Names people can trust (issue 8). A name has one written form (NFKC, single spaces); nothing in it
// may be invisible or reorder the text around it; and two names that merely look alike have the same
// UTS #39 skeleton, so the panel can tell their owners apart by key. The relay, the CLI, the extension
// and the webview all use these rules. No Node types: the webview imports this file.
import { CONFUSABLES } from './confusables';
import { hasControl } from './control';
import { MAX_NAME_CHARS } from './message';
import { scriptMix } from './scripts';

// LRM, RLM, ALM and the embeddings, overrides and isolates: they change the order text is read in.
const BIDI = /\p{Bidi_Control}/u;
// Tag characters spell hidden ASCII; only emoji flags of regions use them, and those are refused too.
const TAG = /[\u{E0000}-\u{E007F}]/u;
// Zero-width space and joiners, word joiner, soft hyphen, variation selectors, Hangul fillers...: drawn
// as nothing, so "ali\u200Bce" looks like "alice". Bidi controls and tags are in this class too.
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;
const INVISIBLES = /\p{Default_Ignorable_Code_Point}/gu;
// Other format characters, private use, unassigned and lone surrogates: no agreed look at all.
const UNSHOWN = /[\p{Cf}\p{Co}\p{Cn}\p{Cs}]/u;
const SPACES = /\p{White_Space}+/gu;

const ZWNJ = 0x200c;
const ZWJ = 0x200d;
// A variation selector picks a glyph for the character before it: text or emoji style (VS15, VS16)
// after an emoji, an ideograph's variant, a Mongolian letter's form. Anywhere else it only hides.
const EMOJI_STYLE = /[\uFE0E\uFE0F]/u;
const EMOJI = /\p{Emoji}/u;
const IDEOGRAPH_VARIANT = /[\uFE00-\uFE0D\u{E0100}-\u{E01EF}]/u;
const IDEOGRAPH = /\p{Ideographic}/u;
const MONGOLIAN_FORM = /[\u180B-\u180D\u180F]/u;
const MONGOLIAN = /\p{sc=Mong}/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const EMOJI_TAIL = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F]/u;
// Scripts where ZWJ/ZWNJ change shaping (cursive joining or a virama's conjuncts), as RFC 5892's
// CONTEXTJ rules intend; between letters of one of them they are spelling, not disguise.
const JOINING = ['Arab', 'Syrc', 'Nkoo', 'Mong', 'Mand', 'Deva', 'Beng', 'Guru', 'Gujr', 'Orya', 'Taml', 'Telu', 'Knda', 'Mlym', 'Sinh', 'Khmr', 'Mymr', 'Tibt']
  .map((code) => new RegExp(`\\p{sc=${code}}`, 'u'));

const LABELS: Record<number, string> = {
  0x00a0: 'NBSP', 0x00ad: 'SHY', 0x034f: 'CGJ', 0x061c: 'ALM', 0x115f: 'HCF', 0x1160: 'HJF', 0x180e: 'MVS',
  0x200b: 'ZWSP', 0x200c: 'ZWNJ', 0x200d: 'ZWJ', 0x200e: 'LRM', 0x200f: 'RLM', 0x202a: 'LRE', 0x202b: 'RLE',
  0x202c: 'PDF', 0x202d: 'LRO', 0x202e: 'RLO', 0x2060: 'WJ', 0x2066: 'LRI', 0x2067: 'RLI', 0x2068: 'FSI',
  0x2069: 'PDI', 0x3164: 'HF', 0xfeff: 'ZWNBSP', 0xffa0: 'HWHF', 0xe0001: 'LANG TAG', 0xe007f: 'CANCEL TAG',
};

const hex = (cp: number): string => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;

/** A short visible name for an invisible character: "ZWSP", "RLO", "VS16", "TAG s", else "U+E0100". */
export function charLabel(cp: number): string {
  if (LABELS[cp]) return LABELS[cp];
  if (cp >= 0xfe00 && cp <= 0xfe0f) return `VS${cp - 0xfe00 + 1}`;
  if (cp >= 0xe0100 && cp <= 0xe01ef) return `VS${cp - 0xe0100 + 17}`;
  if (cp > 0xe0020 && cp < 0xe007f) return `TAG ${String.fromCharCode(cp - 0xe0000)}`; // the smuggled letter
  return hex(cp);
}

const describe = (cp: number): string => (LABELS[cp] ? `${LABELS[cp]}, ${hex(cp)}` : hex(cp));

function sameJoiningScript(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && JOINING.some((re) => re.test(a) && re.test(b));
}

/** True when the invisible character at `chars[i]` is spelling, not disguise: ZWJ inside an emoji
 * sequence or a joining script, ZWNJ inside a joining script, a variation selector after its base. */
function invisibleAllowed(chars: readonly string[], i: number): boolean {
  const cp = chars[i].codePointAt(0) as number;
  const before = chars[i - 1];
  const after = chars[i + 1];
  if (cp === ZWJ && before !== undefined && after !== undefined && EMOJI_TAIL.test(before) && PICTOGRAPH.test(after)) return true;
  if (cp === ZWJ || cp === ZWNJ) return sameJoiningScript(before, after);
  if (before === undefined) return false;
  if (EMOJI_STYLE.test(chars[i])) return EMOJI.test(before);
  if (IDEOGRAPH_VARIANT.test(chars[i])) return IDEOGRAPH.test(before);
  if (MONGOLIAN_FORM.test(chars[i])) return MONGOLIAN.test(before);
  return false;
}

/** Index (in code points) of the first invisible character that hides rather than spells, or -1. */
function hiddenAt(chars: readonly string[]): number {
  for (let i = 0; i < chars.length; i++) {
    if (INVISIBLE.test(chars[i]) && !invisibleAllowed(chars, i)) return i;
  }
  return -1;
}

/** What a user typed, in the form names are kept and compared in: NFKC ("Ａ" is "A", "ﬁ" is "fi"),
 * every space-like character a plain space, no runs of them, none at either end. Invisible characters
 * stay, so that nameProblem can say why the name is refused rather than quietly pass a disguise. */
export function normalizeName(raw: string): string {
  return raw.normalize('NFKC').replace(SPACES, ' ').trim();
}

/** Why `name` cannot be a member's name, or undefined when it can. The one wording of every rule. */
export function nameProblem(name: string): string | undefined {
  const chars = [...name];
  if (name.trim() === '') return 'A name cannot be empty.';
  if (chars.length > MAX_NAME_CHARS) return `A name is at most ${MAX_NAME_CHARS} characters (this one has ${chars.length}).`;
  if (hasControl(name)) return 'A name cannot contain control characters.';
  // Context is kept short: the relay sends this reason back in a Refused packet of at most 255 bytes.
  const where = (i: number): string => `${describe(chars[i].codePointAt(0) as number)}${i > 0 ? `, after "${i > 8 ? '\u2026' : ''}${chars.slice(Math.max(0, i - 8), i).join('')}"` : ''}`;
  const bidi = chars.findIndex((ch) => BIDI.test(ch));
  if (bidi >= 0) return `A name cannot contain bidirectional controls (${where(bidi)}): they change the order the text around them is read in.`;
  const tag = chars.findIndex((ch) => TAG.test(ch));
  if (tag >= 0) return `A name cannot contain tag characters (${where(tag)}): they are invisible.`;
  const hidden = hiddenAt(chars);
  if (hidden >= 0) {
    const shown = name.replace(INVISIBLES, '');
    const looks = shown.trim() !== '' && [...shown].length <= 16 ? `: it would look like "${shown}"` : '';
    return `A name cannot contain invisible characters (${where(hidden)})${looks}.`;
  }
  const unshown = chars.findIndex((ch) => UNSHOWN.test(ch) && !INVISIBLE.test(ch));
  if (unshown >= 0) return `A name cannot contain format, private-use or unassigned characters (${where(unshown)}): they have no agreed look.`;
  const normal = normalizeName(name);
  if (normal.includes(':')) return 'A name cannot contain ":" (the original chat splits "name: text" on it).';
  if (normal !== name) {
    const length = [...normal].length;
    if (length > MAX_NAME_CHARS) return `A name is at most ${MAX_NAME_CHARS} characters in Unicode's compatibility form (NFKC); this one has ${length} there.`;
    return name.replace(SPACES, ' ').trim() === normal
      ? `A name has single plain spaces and none at either end: write "${normal}".`
      : `A name is written in Unicode's compatibility form (NFKC), where "Ａ" and "A" are one letter: write "${normal}".`;
  }
  const colon = chars.find((ch) => skeleton(ch).includes(':'));
  if (colon) return `A name cannot contain "${colon}": it looks like ":", which the original chat splits "name: text" on.`;
  const mix = scriptMix(name);
  if (mix) return `A name cannot mix ${mix.first} and ${mix.second} letters ("${mix.char}" is ${mix.second}): mixed scripts are how look-alike names are made.`;
  return undefined;
}

/** `name` with every character that nameProblem would call invisible written out, as "alice⟨ZWSP⟩".
 * For names that arrive unchecked (the original chat's) and for anything else shown as a name. */
export function visibleName(name: string): string {
  if (!INVISIBLE.test(name)) return name;
  const chars = [...name];
  return chars.map((ch, i) => (INVISIBLE.test(ch) && !invisibleAllowed(chars, i) ? `\u27e8${charLabel(ch.codePointAt(0) as number)}\u27e9` : ch)).join('');
}

let prototypes: Map<number, string> | undefined;

/** confusables.ts decoded once, on first use: code point -> prototype. */
function confusableTable(): Map<number, string> {
  if (prototypes) return prototypes;
  prototypes = new Map();
  let next = 0;
  for (const entry of CONFUSABLES.replace(/\n/g, '').split(',')) {
    const colon = entry.indexOf(':');
    const [delta, run = '1'] = entry.slice(0, colon).split('+');
    const target = entry.slice(colon + 1).split(' ').map((c) => parseInt(c, 36));
    const key = next + parseInt(delta, 36);
    const n = parseInt(run, 36);
    for (let i = 0; i < n; i++) prototypes.set(key + i, String.fromCodePoint(...target.slice(0, -1), target[target.length - 1] + i));
    next = key + n;
  }
  return prototypes;
}

/** The UTS #39 skeleton: NFD, default-ignorable characters removed, each character replaced by its
 * confusables.txt prototype, NFD again. Equal skeletons mean the texts can look the same ("раура1"
 * and "paypal"). For comparison only: a skeleton is not meant to be shown. */
export function skeleton(text: string): string {
  const table = confusableTable();
  let out = '';
  for (const ch of text.normalize('NFD')) {
    if (INVISIBLE.test(ch)) continue;
    out += table.get(ch.codePointAt(0) as number) ?? ch;
  }
  return out.normalize('NFD');
}

/** Whether two names can be taken for each other (identical names included): their holders must then
 * be told apart by something other than the name, such as a key fingerprint. */
export function confusable(a: string, b: string): boolean {
  return a === b || skeleton(a) === skeleton(b);
}
