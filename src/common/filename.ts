// A file's name as its sender gave it is untrusted: it may climb out of the folder it is saved in
// (`../../.bashrc`), hide its real extension behind a right-to-left override (`invoice\u202Egnp.exe`
// shows as `invoiceexe.png`), name a device on Windows (`CON`, `lpt1.txt`), or be too long for the
// file system. safeFileName turns it into one plain name that is safe to create in a folder the user
// chose. Pure, no Node types: the CLI and the extension both save with it.

import { controlClass } from './control';

// Controls (C0, DEL, C1, line separators) and every bidirectional control and mark.
const CONTROLS = new RegExp(`[${controlClass({ bidi: 'all' })}]`, 'gu');
// Invisible characters that make two names look the same: zero-width space, joiners, word joiner,
// invisible operators, the byte-order mark, soft hyphen, Mongolian vowel separator.
const INVISIBLE = /[\u00ad\u180e\u200b-\u200d\u2060-\u2064\ufeff]/gu;
// Characters Windows refuses in a file name (the separators are handled apart, see below).
const WINDOWS_FORBIDDEN = /[<>:"|?*]/gu;
// Windows devices, with or without an extension, in any case (COM¹²³ count too).
const RESERVED = /^(con|prn|aux|nul|com[1-9\u00b9\u00b2\u00b3]|lpt[1-9\u00b9\u00b2\u00b3])$/iu;

/** The most a saved name may take, in UTF-8 bytes (file systems allow 255; room for ` (12)`). */
export const MAX_FILE_NAME_BYTES = 200;
// An extension longer than this is not one worth keeping whole when the name is cut.
const MAX_EXTENSION_BYTES = 32;
/** What a name that cleans to nothing becomes. */
export const FALLBACK_FILE_NAME = 'file';

function utf8Bytes(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** The longest start of text that fits in max UTF-8 bytes, cut between code points. */
function cutToBytes(text: string, max: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const size = utf8Bytes(ch);
    if (bytes + size > max) break;
    out += ch;
    bytes += size;
  }
  return out;
}

const trimEnds = (text: string): string => text.replace(/^[\s.]+/u, '').replace(/[\s.]+$/u, '');

/** The name's extension (`.pdf`), or '' when it has none worth keeping. */
function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return '';
  const ext = name.slice(dot);
  if (ext.length <= 1 || utf8Bytes(ext) > MAX_EXTENSION_BYTES) return '';
  // A short inner suffix belongs to it: `.tar.gz`, not `.gz`.
  const inner = /\.[A-Za-z0-9]{1,4}$/u.exec(name.slice(0, dot));
  return inner !== null && inner.index > 0 ? inner[0] + ext : ext;
}

/**
 * A name safe to create in a folder: no path (separators join the parts with `_`, `.` and `..` parts
 * are dropped), no control, bidirectional or zero-width characters, no leading dots or spaces (no
 * hidden files), no trailing dots or spaces, no Windows device name (prefixed with `_`), at most
 * MAX_FILE_NAME_BYTES UTF-8 bytes keeping the extension, NFC; `file` when nothing is left.
 */
export function safeFileName(name: string): string {
  const visible = name.normalize('NFC').replace(CONTROLS, '').replace(INVISIBLE, '').normalize('NFC');
  const parts = visible
    .split(/[/\\]/u)
    .map(trimEnds)
    .filter((part) => part !== '');
  let clean = trimEnds(parts.join('_').replace(WINDOWS_FORBIDDEN, '_'));
  if (utf8Bytes(clean) > MAX_FILE_NAME_BYTES) {
    const ext = extensionOf(clean);
    const stem = trimEnds(cutToBytes(clean.slice(0, clean.length - ext.length), MAX_FILE_NAME_BYTES - utf8Bytes(ext)));
    clean = stem === '' ? cutToBytes(clean, MAX_FILE_NAME_BYTES) : stem + ext;
    clean = trimEnds(clean);
  }
  if (clean === '') return FALLBACK_FILE_NAME;
  const base = clean.split('.')[0].trimEnd();
  return RESERVED.test(base) ? `_${clean}` : clean;
}

/**
 * The nth name to try when `name` is taken: `report (1).pdf`, `report (2).pdf` (the number goes
 * before the extension; a name without one gets it at the end). n = 0 is the name itself.
 */
export function numberedFileName(name: string, n: number): string {
  if (n === 0) return name;
  const ext = extensionOf(name);
  return `${name.slice(0, name.length - ext.length)} (${n})${ext}`;
}
