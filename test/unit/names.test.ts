// Names people can trust (issue 8): look-alikes are refused with a reason or recognised as
// confusable, and real names in any script still work.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { charLabel, confusable, nameProblem, normalizeName, skeleton, visibleName } from '../../src/common/names';
import { nameProblem as validateNameProblem } from '../../src/chat/validate';

describe('names: refused look-alikes of "alice", each with its reason', () => {
  // Each of these renders as "alice" (or nearly) in most fonts.
  const table: [string, string, RegExp][] = [
    ['zero-width space', 'ali\u200bce', /invisible characters \(ZWSP, U\+200B, after "ali"\): it would look like "alice"/],
    ['zero-width joiner between Latin letters', 'al\u200dice', /invisible characters \(ZWJ, U\+200D/],
    ['zero-width non-joiner between Latin letters', 'al\u200cice', /invisible characters \(ZWNJ, U\+200C/],
    ['word joiner', 'a\u2060lice', /invisible characters \(WJ, U\+2060/],
    ['soft hyphen', 'alice\u00ad', /invisible characters \(SHY, U\+00AD/],
    ['byte order mark inside', 'al\ufeffice', /invisible characters \(ZWNBSP, U\+FEFF/],
    ['variation selector after a Latin letter', 'alice\ufe0f', /invisible characters \(U\+FE0F/],
    ['variation selector with no base', '\ufe00alice', /invisible characters \(U\+FE00\)/],
    ['Hangul filler', 'alice\u3164', /invisible characters/],
    ['Cyrillic а among Latin letters', '\u0430lice', /cannot mix Latin and Cyrillic letters \("а" is Cyrillic\)/],
    ['Greek ο among Latin letters', 'b\u03bfb', /cannot mix Latin and Greek letters \("ο" is Greek\)/],
    ['NBSP', 'alice\u00a0smith', /single plain spaces and none at either end: write "alice smith"/],
    ['trailing NBSP', 'alice\u00a0', /write "alice"/],
    ['ideographic space', 'alice\u3000bob', /write "alice bob"/],
    ['two spaces', 'alice  bob', /write "alice bob"/],
    ['leading space', ' alice', /write "alice"/],
    ['fullwidth letters', '\uff41lice', /compatibility form \(NFKC\).*write "alice"/],
    ['left-to-right mark', 'alice\u200e', /bidirectional controls \(LRM, U\+200E, after "alice"\)/],
    ['right-to-left mark', '\u200falice', /bidirectional controls \(RLM, U\+200F\)/],
    ['Arabic letter mark', 'ali\u061cce', /bidirectional controls \(ALM, U\+061C/],
    ['right-to-left override', '\u202eecila', /bidirectional controls \(RLO, U\+202E\)/],
    ['left-to-right embedding', 'alice\u202a', /bidirectional controls \(LRE/],
    ['right-to-left isolate', 'al\u2067ice\u2069', /bidirectional controls \(RLI, U\+2067/],
    ['tag characters (hidden ASCII)', 'alice\u{e0061}\u{e0064}', /tag characters \(U\+E0061, after "alice"\)/],
    ['a tab', 'alice\tbob', /control characters/],
    ['a line separator', 'alice\u2028', /control characters/],
    ['escape', 'alice\x1b[31m', /control characters/],
    ['private use', 'alice\ue000', /private-use or unassigned characters \(U\+E000/],
    ['unassigned', 'alice\u{e0080}', /invisible characters|private-use or unassigned/],
    ['fullwidth colon (becomes ":")', 'bob\uff1a hi', /cannot contain ":"/],
    ['ratio sign that looks like ":"', 'bob\u2236 hi', /cannot contain "∶": it looks like ":"/],
  ];
  for (const [what, name, reason] of table) {
    it(what, () => {
      const problem = nameProblem(name);
      assert.ok(problem, `${JSON.stringify(name)} was accepted`);
      assert.match(problem, reason);
      assert.match(problem, /\.$/, 'a sentence, as the CLI and VS Code show it');
    });
  }

  it('the relay and the CLI check names by these rules', () => {
    assert.match(validateNameProblem('ali\u200bce') ?? '', /invisible/);
    assert.match(validateNameProblem('\u0430lice') ?? '', /Cyrillic/);
    assert.equal(validateNameProblem('alice'), undefined);
  });

  it('keeps the rules names had before', () => {
    assert.equal(nameProblem(''), 'A name cannot be empty.');
    assert.equal(nameProblem('   '), 'A name cannot be empty.');
    assert.equal(nameProblem('a'.repeat(33)), 'A name is at most 32 characters (this one has 33).');
    assert.equal(nameProblem('a:b'), 'A name cannot contain ":" (the original chat splits "name: text" on it).');
    assert.equal(nameProblem('a\u0000b'), 'A name cannot contain control characters.');
    assert.equal(nameProblem('🙂'.repeat(32)), undefined, '32 characters, not 32 UTF-16 units');
  });
});

describe('names: real names are accepted as typed', () => {
  const names = [
    'alice', 'Alice Smith', 'o\'brien-2', 'José', 'Zoë', 'Ñandú', 'Đặng Thị Ngọc', 'Łukasz', 'Søren', 'Ævar',
    '王小明', '山田 ひろし', 'スズキ', '김민준', '陳大文 ㄅㄆ', 'محمد', 'مریم', 'می‌خواهم', 'דוד', 'प्रिया', 'क्‍ष',
    'தமிழ்', 'ශ්‍රී', 'Сергей', 'Ελένη', 'Ali علي', 'Priya प्रिया', 'Ken 健二', 'Anna (アンナ)', 'ⴰⵎⴰⵣⵉⵖ',
    '👩‍💻 dev', 'bob ☕️', '1️⃣ first', '👋🏽 hi', '葛\u{e0100}',
  ];
  for (const name of names) {
    it(JSON.stringify(name), () => {
      assert.equal(normalizeName(name), name, 'already in normal form');
      assert.equal(nameProblem(name), undefined);
      assert.equal(visibleName(name), name, 'shown as it is');
    });
  }
});

describe('names: normalizeName', () => {
  const table: [string, string][] = [
    ['  alice  ', 'alice'],
    ['alice\u00a0\u00a0smith', 'alice smith'],
    ['alice\u2003\u3000bob', 'alice bob'],
    ['\uff21\uff4c\uff49\uff43\uff45', 'Alice'],
    ['\ufb01sh', 'fish'],
    ['Jose\u0301', 'José'],
    ['bob\t\nsmith', 'bob smith'],
  ];
  for (const [raw, normal] of table) {
    it(`${JSON.stringify(raw)} -> ${JSON.stringify(normal)}`, () => {
      assert.equal(normalizeName(raw), normal);
      assert.equal(nameProblem(normal), undefined, 'the normal form is a good name');
      assert.equal(normalizeName(normal), normal, 'idempotent');
    });
  }

  it('keeps invisible characters, so the refusal can name them', () => {
    assert.equal(normalizeName('ali\u200bce'), 'ali\u200bce');
    assert.match(nameProblem(normalizeName('ali\u200bce')) ?? '', /ZWSP/);
  });
});

describe('names: skeletons (UTS #39)', () => {
  const alike: [string, string, string][] = [
    ['Cyrillic look-alikes, a whole-script name', 'асе', 'ace'],
    ['mixed Cyrillic', 'р\u0430ypal', 'paypal'],
    ['digit one and small L', 'paypa1', 'paypal'],
    ['capital I and small L', 'BILL', 'BlLL'],
    ['rn and m', 'modern', 'rnodern'],
    ['fullwidth', '\uff41lice', 'alice'],
    ['mathematical bold', '\u{1d41a}lice', 'alice'],
    ['zero-width space', 'ali\u200bce', 'alice'],
    ['tag characters', 'alice\u{e0061}', 'alice'],
    ['composed and decomposed', 'Jos\u00e9', 'Jose\u0301'],
    ['Greek omicron', 'b\u03bfb', 'bob'],
    ['identical', 'alice', 'alice'],
  ];
  for (const [what, a, b] of alike) {
    it(`confusable: ${what}`, () => {
      assert.equal(skeleton(a), skeleton(b));
      assert.ok(confusable(a, b));
      assert.ok(confusable(b, a));
    });
  }

  const apart: [string, string][] = [['alice', 'alicia'], ['bob', 'Bob'], ['王小明', '王小朋'], ['محمد', 'احمد'], ['anna', 'ann']];
  for (const [a, b] of apart) {
    it(`not confusable: ${a} / ${b}`, () => assert.equal(confusable(a, b), false));
  }

  it('a skeleton is its own skeleton', () => {
    for (const s of ['раура1', 'ali\u200bce', '\u{1d41a}lice', 'modern', 'Ελένη', '王小明']) {
      assert.equal(skeleton(skeleton(s)), skeleton(s));
    }
  });
});

describe('names: visibleName', () => {
  it('writes out every character that hides', () => {
    assert.equal(visibleName('ali\u200bce'), 'ali\u27e8ZWSP\u27e9ce');
    assert.equal(visibleName('\u202eecila'), '\u27e8RLO\u27e9ecila');
    assert.equal(visibleName('alice\u200e'), 'alice\u27e8LRM\u27e9');
    assert.equal(visibleName('alice\u{e0068}\u{e0069}'), 'alice\u27e8TAG h\u27e9\u27e8TAG i\u27e9');
    assert.equal(visibleName('al\u200dice'), 'al\u27e8ZWJ\u27e9ice');
  });

  it('leaves joiners that spell: emoji sequences, Indic conjuncts, Persian', () => {
    for (const s of ['👩‍💻', 'क्‍ष', 'می‌خواهم', 'bob ☕️']) assert.equal(visibleName(s), s);
  });

  it('labels', () => {
    assert.equal(charLabel(0x200b), 'ZWSP');
    assert.equal(charLabel(0xfe0f), 'VS16');
    assert.equal(charLabel(0xe0100), 'VS17');
    assert.equal(charLabel(0xe0041), 'TAG A');
    assert.equal(charLabel(0x2064), 'U+2064');
  });
});

describe('names: reasons fit the relay\'s Refused packet', () => {
  it('every reason is at most 255 UTF-8 bytes, even for a name of 32 four-byte characters', () => {
    const wide = '\u{1d400}'; // MATHEMATICAL BOLD CAPITAL A: four bytes
    const names = [
      `${wide.repeat(31)}\u200b`, `${wide.repeat(20)}\u200b${wide.repeat(11)}`, `${wide.repeat(31)}\u202e`,
      `${wide.repeat(31)}\u{e0041}`, `${wide.repeat(31)}\ue000`, `${'\u0430'.repeat(16)}${'a'.repeat(16)}`,
      `${'\uff41'.repeat(32)}`, `${wide.repeat(31)}\u2236`, `${wide.repeat(40)}`, '\ufdfa'.repeat(32), `${'\u3300'.repeat(31)}x`,
    ];
    for (const name of names) {
      const problem = nameProblem(name);
      assert.ok(problem, JSON.stringify(name));
      assert.ok(Buffer.byteLength(problem) <= 255, `${Buffer.byteLength(problem)} bytes: ${problem}`);
    }
  });

  it('a name that grows past 32 characters in normal form says so', () => {
    assert.match(nameProblem('\ufdfa\ufdfa') ?? '', /at most 32 characters in Unicode's compatibility form \(NFKC\); this one has 36 there/);
  });

  it('a long name is quoted from just before the character', () => {
    assert.match(nameProblem(`abcdefghijklmnop\u200bq`) ?? '', /after "…ijklmnop"\)\.$/);
  });
});
