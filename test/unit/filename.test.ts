// safeFileName (src/common/filename.ts): a sender's file name, whatever it holds, becomes one plain
// name that stays inside the folder it is saved in, shows what it is, and can be created on Linux,
// macOS and Windows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_FILE_NAME_BYTES, numberedFileName, safeFileName } from '../../src/common/filename';

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** What every result must be, whatever went in. */
function assertSafe(name: string): void {
  assert.ok(name.length > 0, 'not empty');
  assert.ok(!/[/\\]/u.test(name), `no separator in ${JSON.stringify(name)}`);
  assert.ok(!/^[.\s]/u.test(name), `no leading dot or space in ${JSON.stringify(name)}`);
  assert.ok(!/[.\s]$/u.test(name), `no trailing dot or space in ${JSON.stringify(name)}`);
  assert.ok(!/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/u.test(name), `no invisible in ${JSON.stringify(name)}`);
  assert.ok(!/[<>:"|?*]/u.test(name), `nothing Windows refuses in ${JSON.stringify(name)}`);
  assert.ok(bytes(name) <= MAX_FILE_NAME_BYTES, `at most ${MAX_FILE_NAME_BYTES} bytes: ${bytes(name)}`);
  assert.equal(name, name.normalize('NFC'));
  assert.equal(safeFileName(name), name, 'a safe name stays as it is');
}

describe('safeFileName', () => {
  const cases: [string, string, string][] = [
    ['plain name', 'report.pdf', 'report.pdf'],
    ['spaces and unicode kept', 'Résumé 2026 — final.docx', 'Résumé 2026 — final.docx'],
    ['path climbing out', '../../etc/passwd', 'etc_passwd'],
    ['absolute path', '/etc/shadow', 'etc_shadow'],
    ['both separators', 'a/b\\c', 'a_b_c'],
    ['windows path climbing out', '..\\..\\Windows\\System32\\x.dll', 'Windows_System32_x.dll'],
    ['only dots and separators', '../..', 'file'],
    ['CON', 'CON', '_CON'],
    ['con with an extension', 'con.txt', '_con.txt'],
    ['LPT9 with two extensions', 'LPT9.tar.gz', '_LPT9.tar.gz'],
    ['nul with trailing space before the dot', 'nul .txt', '_nul .txt'],
    ['COM with a superscript', 'COM\u00b9', '_COM\u00b9'],
    ['not a device', 'console.log', 'console.log'],
    ['COM10 is not a device', 'COM10', 'COM10'],
    ['right-to-left override hiding .exe', 'invoice\u202Egnp.exe', 'invoicegnp.exe'],
    ['isolates and marks', '\u2066a\u2069\u200fb\u061c.txt', 'ab.txt'],
    ['zero-width characters', 'pa\u200by\u200c\u200dpal\u2060\ufeff.html', 'paypal.html'],
    ['control characters', 'a\u0000b\u0007c\u001b[31md\tе\n\r.txt\u0085', 'abc[31mdе.txt'],
    ['line separator', 'x\u2028y.txt', 'xy.txt'],
    ['only dots', '...', 'file'],
    ['a dot', '.', 'file'],
    ['hidden file', '.bashrc', 'bashrc'],
    ['space before a hidden file', ' .bashrc', 'bashrc'],
    ['trailing dots and spaces', 'notes.txt. . ', 'notes.txt'],
    ['empty', '', 'file'],
    ['only invisible', '\u202e\u200b\u0000', 'file'],
    ['windows-forbidden characters', 'a<b>c:d"e|f?g*.txt', 'a_b_c_d_e_f_g_.txt'],
    ['NFD becomes NFC', 'Cafe\u0301.txt', 'Caf\u00e9.txt'],
  ];
  for (const [what, input, want] of cases) {
    it(what, () => {
      const got = safeFileName(input);
      assert.equal(got, want);
      assertSafe(got);
    });
  }

  it('cuts a 300-byte name to the limit, keeping the extension', () => {
    const got = safeFileName(`${'a'.repeat(296)}.pdf`);
    assert.equal(bytes(got), MAX_FILE_NAME_BYTES);
    assert.ok(got.endsWith('a.pdf'));
    assertSafe(got);
  });

  it('cuts a long name keeping a two-part extension', () => {
    const got = safeFileName(`${'b'.repeat(300)}.tar.gz`);
    assert.ok(got.endsWith('b.tar.gz'), got);
    assert.equal(bytes(got), MAX_FILE_NAME_BYTES);
  });

  it('cuts multi-byte names between characters, never inside one', () => {
    const got = safeFileName(`${'é'.repeat(150)}${'😀'.repeat(20)}.png`);
    assert.ok(bytes(got) <= MAX_FILE_NAME_BYTES && bytes(got) > MAX_FILE_NAME_BYTES - 4);
    assert.ok(got.endsWith('.png'));
    assert.ok(!got.includes('\ufffd'));
    assert.equal(Buffer.from(got, 'utf8').toString('utf8'), got);
    assertSafe(got);
  });

  it('cuts a long name whose "extension" is too long to keep', () => {
    const got = safeFileName(`x.${'y'.repeat(400)}`);
    assert.equal(bytes(got), MAX_FILE_NAME_BYTES);
    assertSafe(got);
  });

  it('a long name that is all dots and separators is still a name', () => {
    assert.equal(safeFileName('../'.repeat(200)), 'file');
  });

  it('every name made of hostile pieces comes out safe', () => {
    const pieces = ['..', '/', '\\', '.', ' ', 'CON', 'a', '\u202e', '\u200b', '\u0000', 'é', 'e\u0301', ':', '😀', 'x'.repeat(120), '.txt'];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      let name = '';
      const count = next() % 8;
      for (let j = 0; j < count; j++) name += pieces[next() % pieces.length];
      assertSafe(safeFileName(name));
    }
  });
});

describe('numberedFileName', () => {
  it('puts the number before the extension', () => {
    assert.equal(numberedFileName('report.pdf', 0), 'report.pdf');
    assert.equal(numberedFileName('report.pdf', 1), 'report (1).pdf');
    assert.equal(numberedFileName('archive.tar.gz', 2), 'archive (2).tar.gz');
    assert.equal(numberedFileName('README', 3), 'README (3)');
  });
});
