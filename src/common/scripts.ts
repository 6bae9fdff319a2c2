// Which writing systems a name mixes, after UTS #39 §5 ("Moderately Restrictive"): a name may be in
// one script, or Latin with Han and Japanese kana, Bopomofo or Hangul, or Latin with one other script
// that is not Cyrillic or Greek. "pаypal" with a Cyrillic "а" is the look-alike this refuses; a name
// wholly in Cyrillic is not mixed, and is left to the skeleton comparison (names.ts).
// No Node types: the webview may import it.

// ISO 15924 codes of the scripts in Unicode 16; an engine whose Unicode is older does not know some
// of them, and those are skipped (their letters count as script-neutral, like digits).
const CODES =
  'Adlm Aghb Ahom Arab Armi Armn Avst Bali Bamu Bass Batk Beng Bhks Bopo Brah Brai Bugi Buhd Cakm Cans Cari ' +
  'Cham Cher Chrs Copt Cpmn Cprt Cyrl Deva Diak Dogr Dsrt Dupl Egyp Elba Elym Ethi Gara Geor Glag Gong Gonm ' +
  'Goth Gran Grek Gujr Gukh Guru Hang Hani Hano Hatr Hebr Hira Hluw Hmng Hmnp Hung Ital Java Kali Kana Kawi ' +
  'Khar Khmr Khoj Kits Knda Krai Kthi Lana Laoo Latn Lepc Limb Lina Linb Lisu Lyci Lydi Mahj Maka Mand Mani ' +
  'Marc Medf Mend Merc Mero Mlym Modi Mong Mroo Mtei Mult Mymr Nagm Nand Narb Nbat Newa Nkoo Nshu Ogam Olck ' +
  'Onao Orkh Orya Osge Osma Ougr Palm Pauc Perm Phag Phli Phlp Phnx Plrd Prti Rjng Rohg Runr Samr Sarb Saur ' +
  'Sgnw Shaw Shrd Sidd Sind Sinh Sogd Sogo Sora Soyo Sund Sunu Sylo Syrc Tagb Takr Tale Talu Taml Tang Tavt ' +
  'Telu Tfng Tglg Thaa Thai Tibt Tirh Tnsa Todr Toto Tutg Vaii Vith Wara Wcho Xpeo Xsux Yezi Yiii Zanb';

const NAMES: Record<string, string> = {
  Arab: 'Arabic', Armn: 'Armenian', Beng: 'Bengali', Bopo: 'Bopomofo', Cher: 'Cherokee', Cyrl: 'Cyrillic',
  Deva: 'Devanagari', Ethi: 'Ethiopic', Geor: 'Georgian', Grek: 'Greek', Gujr: 'Gujarati', Guru: 'Gurmukhi',
  Hang: 'Hangul', Hani: 'Han', Hebr: 'Hebrew', Hira: 'Hiragana', Kana: 'Katakana', Khmr: 'Khmer', Knda: 'Kannada',
  Laoo: 'Lao', Latn: 'Latin', Mlym: 'Malayalam', Mong: 'Mongolian', Mymr: 'Myanmar', Orya: 'Odia', Sinh: 'Sinhala',
  Syrc: 'Syriac', Taml: 'Tamil', Telu: 'Telugu', Thaa: 'Thaana', Thai: 'Thai', Tibt: 'Tibetan',
};

export const scriptName = (code: string): string => NAMES[code] ?? code;

// Compiled on first use: most names are ASCII and never need them.
let tests: [string, RegExp][] | undefined;
function scriptTests(): [string, RegExp][] {
  if (!tests) {
    tests = [];
    for (const code of CODES.split(' ')) {
      try {
        tests.push([code, new RegExp(`\\p{scx=${code}}`, 'u')]);
      } catch {
        // this engine's Unicode predates the script
      }
    }
  }
  return tests;
}

// Script_Extensions Common or Inherited: digits, punctuation, emoji, most combining marks.
const NEUTRAL = /^[\p{scx=Zyyy}\p{scx=Zinh}]$/u;
const LATIN: ReadonlySet<string> = new Set(['Latn']);

/** The scripts a character belongs to (its Script_Extensions), or undefined when it goes with any. */
export function scriptsOf(ch: string): ReadonlySet<string> | undefined {
  const c = ch.codePointAt(0) as number;
  if (c < 0x80) return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a ? LATIN : undefined;
  if (NEUTRAL.test(ch)) return undefined;
  const found = new Set<string>();
  for (const [code, re] of scriptTests()) if (re.test(ch)) found.add(code);
  return found.size > 0 ? found : undefined;
}

// Han goes with kana in Japanese, Hangul in Korean and Bopomofo in Chinese (UTS #39 "augmented" sets).
const CJK_SETS = [
  ['Latn', 'Hani', 'Hira', 'Kana'],
  ['Latn', 'Hani', 'Bopo'],
  ['Latn', 'Hani', 'Hang'],
];
const NOT_WITH_LATIN = new Set(['Cyrl', 'Grek']);

const meets = (set: ReadonlySet<string>, allowed: readonly string[]): boolean => allowed.some((s) => set.has(s));

export type ScriptMix = { first: string; second: string; char: string };

/** Undefined when `text` keeps to one script or an allowed mix; otherwise the two scripts it mixes
 * and the first character of the second one, for the message. */
export function scriptMix(text: string): ScriptMix | undefined {
  const sets: [string, ReadonlySet<string>][] = [];
  for (const ch of text) {
    const set = scriptsOf(ch);
    if (set) sets.push([ch, set]);
  }
  if (sets.length < 2) return undefined;
  const all = new Set(sets.flatMap(([, set]) => [...set]));
  const covers = (allowed: readonly string[]): boolean => sets.every(([, set]) => meets(set, allowed));
  if ([...all].some((s) => covers([s]))) return undefined; // one script
  if (CJK_SETS.some(covers)) return undefined;
  if ([...all].some((s) => s !== 'Latn' && !NOT_WITH_LATIN.has(s) && covers(['Latn', s]))) return undefined;
  // Named from Latin when there is some, so the message points at the letter that is not ("а" in
  // "аlice"). Not covered by that script, so some character lacks it.
  const first = all.has('Latn') ? 'Latn' : [...sets[0][1]][0];
  const [char, set] = sets.find(([, s]) => !s.has(first)) as [string, ReadonlySet<string>];
  return { first: scriptName(first), second: scriptName([...set][0]), char };
}
