// What the panel draws of peer text (issue 10): a tower of combining marks is cut to MAX_MARKS with
// a visible count, so it cannot paint over other messages; real text in any script is untouched.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_MARKS, pieces, readable } from '../../src/webview/markers';
import { parseMessage, plainText } from '../../src/webview/markup';

const drawn = (s: string, reveal = false): string => pieces(s, reveal).map((p) => (p.kind === 'text' ? p.text : `[${p.label}]`)).join('');
const ACUTE = '\u0301';

describe('webview markers: towers of combining marks', () => {
  it('28,000 marks on one letter draw as the letter, eight marks and a count', () => {
    const t0 = performance.now();
    const out = pieces(`a${ACUTE.repeat(28000)}b`);
    assert.ok(performance.now() - t0 < 500);
    assert.deepEqual(out.map((p) => p.kind), ['text', 'marker', 'text']);
    assert.equal(out[0].kind === 'text' && out[0].text, `a${ACUTE.repeat(MAX_MARKS)}`);
    assert.equal(out[1].kind === 'marker' && out[1].label, '+27,992 marks');
    assert.match(out[1].kind === 'marker' ? out[1].title : '', /27,992 more combining marks/);
    assert.equal(out[2].kind === 'text' && out[2].text, 'b');
  });

  it('exactly MAX_MARKS marks are drawn; one more is counted', () => {
    assert.equal(drawn(`a${ACUTE.repeat(MAX_MARKS)}`), `a${ACUTE.repeat(MAX_MARKS)}`);
    assert.equal(drawn(`a${ACUTE.repeat(MAX_MARKS + 1)}`), `a${ACUTE.repeat(MAX_MARKS)}[+1 marks]`);
  });

  it('joiners between the marks do not reset the count', () => {
    const out = drawn(`a${`${ACUTE}\u200d`.repeat(5000)}`);
    assert.ok(out.endsWith('[+4,992 marks]'), out.slice(-30));
    assert.ok(out.length < 40);
  });

  it('every tower in a message is cut, and text between them is kept', () => {
    const tower = `x${'\u0489'.repeat(100)}`;
    assert.equal(drawn(`${tower} and ${tower}`), `x${'\u0489'.repeat(MAX_MARKS)}[+92 marks] and x${'\u0489'.repeat(MAX_MARKS)}[+92 marks]`);
  });

  it('towers are cut in code spans, fences and links too (rendering goes through pieces)', () => {
    const blocks = parseMessage(`\`a${ACUTE.repeat(50)}\`\n\`\`\`\nb${ACUTE.repeat(50)}\n\`\`\``);
    assert.match(plainText(blocks), /a\u0301{8} \[\+42 marks\] \nb\u0301{8} \[\+42 marks\] $/);
  });

  it('the screen reader hears the count, not the marks', () => {
    assert.equal(readable(`a${ACUTE.repeat(20)}`), `a${ACUTE.repeat(MAX_MARKS)} [+12 marks] `);
    assert.equal(plainText(parseMessage(`a${ACUTE.repeat(20)}`)), `a${ACUTE.repeat(MAX_MARKS)} [+12 marks] `);
  });

  const real = [
    ['Vietnamese', 'Đặng Thị Ngọc Ánh ở Hà Nội'],
    ['Hindi', 'नमस्ते, क्या हाल है? क्षत्रिय'],
    ['Tibetan', 'བསྒྲུབས་ བཀྲ་ཤིས་བདེ་ལེགས། ཧཱུྃ'],
    ['Hebrew with points and cantillation', 'בְּרֵאשִׁ֖ית בָּרָ֣א'],
    ['Arabic with vowels', 'مُحَمَّدٌ'],
    ['Thai', 'ภาษาไทย น้ำ'],
    ['Myanmar', 'မြန်မာဘာသာ'],
    ['emoji sequences', '👩‍💻 👋🏽 1️⃣ 🏳️‍🌈 🏴󠁧󠁢󠁳󠁣󠁴󠁿'],
    ['a lenny face', '( ͡° ͜ʖ ͡°)'],
  ];
  for (const [script, s] of real) {
    it(`${script} is drawn as written`, () => {
      assert.deepEqual(pieces(s), [{ kind: 'text', text: s }]);
      assert.equal(plainText(parseMessage(s)), s);
    });
  }

  it('linear time: 64 KiB of letters with eight marks each', () => {
    const s = `a${ACUTE.repeat(8)}`.repeat(7000);
    const t0 = performance.now();
    assert.equal(drawn(s), s);
    assert.ok(performance.now() - t0 < 1000);
  });

  it('linear time: 64 KiB of invisible characters', () => {
    const s = '\u200b'.repeat(65536);
    const t0 = performance.now();
    assert.equal(drawn(s), s, 'in message text invisibles stay as they are');
    assert.ok(performance.now() - t0 < 1000);
  });
});

describe('webview markers: controls and invisibles', () => {
  it('control pictures become named markers', () => {
    assert.equal(drawn('\u241b[31mred\u2407\u2421'), '[ESC][31mred[BEL][DEL]');
    const [marker] = pieces('\u241b');
    assert.equal(marker.kind === 'marker' && marker.title, 'Control character ESC (U+001B), shown instead of being applied');
  });

  it('invisibles are markers only when asked to reveal them', () => {
    assert.equal(drawn('a\u200bb\u200ec'), 'a\u200bb\u200ec');
    assert.equal(drawn('a\u200bb\u200ec', true), 'a[ZWSP]b[LRM]c');
    assert.equal(drawn(`a\u200b${ACUTE.repeat(12)}`, true), `a[ZWSP]${ACUTE.repeat(MAX_MARKS)}[+4 marks]`);
  });
});
