// The one list of control characters (src/common/control.ts), checked code point by code point
// against what each of its users refused, escaped or dropped before it existed, so that moving to
// it changed nothing a user sees; and each user tested through its own behaviour.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { controlClass, controlPattern, hasControl } from '../../src/common/control';
import { nameProblem } from '../../src/chat/validate';
import { escapeLine, escapeName, jsonLine } from '../../src/cli/format';
import { decodeLegacy } from '../../src/protocol/legacy';

/** Every BMP code point but the surrogates, and a few astral ones. */
function* codePoints(): Generator<string> {
  for (let c = 0; c <= 0xffff; c++) if (c < 0xd800 || c > 0xdfff) yield String.fromCodePoint(c);
  for (const c of [0x1f600, 0xe0001, 0x10ffff]) yield String.fromCodePoint(c);
}

/** The code points where two patterns disagree (none, when they match the same characters). */
function differences(a: RegExp, b: RegExp): string[] {
  const out: string[] = [];
  for (const ch of codePoints()) if (a.test(ch) !== b.test(ch)) out.push(`U+${ch.codePointAt(0)?.toString(16)}`);
  return out;
}

// The sets as they were written in each file before there was one list.
const BEFORE = {
  name: /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u,
  terminalText: /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u,
  terminalName: /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u,
  terminalJson: /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u,
  webview: /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/,
};

describe('control characters: one list', () => {
  it('names, seed names and notifications: C0, DEL, C1 and the line separators', () => {
    assert.deepEqual(differences(controlPattern(), BEFORE.name), []);
  });

  it('terminal: the bidi controls too, tab kept in text and escaped in names, C0 left to JSON.stringify', () => {
    assert.deepEqual(differences(controlPattern({ keep: '\t', bidi: 'all' }), BEFORE.terminalText), []);
    assert.deepEqual(differences(controlPattern({ bidi: 'all' }), BEFORE.terminalName), []);
    assert.deepEqual(differences(controlPattern({ c0: false, bidi: 'all' }), BEFORE.terminalJson), []);
  });

  it('webview: tab and line feed kept, separators shown as breaks, bidi overrides replaced', () => {
    assert.deepEqual(differences(controlPattern({ keep: '\t\n', separators: false, bidi: 'overrides' }), BEFORE.webview), []);
  });

  it('builds C0 ranges around what is kept', () => {
    assert.equal(controlClass({ keep: '\t\n', separators: false }), '\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f');
    assert.equal(controlClass({ keep: '\u0000\u001f' }), '\\u0001-\\u001e\\u007f-\\u009f\\u2028\\u2029');
  });

  it('its users keep their behaviour', () => {
    assert.equal(hasControl('ann'), false);
    assert.equal(hasControl('a\u2028b'), true);
    assert.equal(nameProblem('a\u009bb'), 'A name cannot contain control characters.');
    assert.equal(escapeLine('a\tb\u001b[31m\u202e'), 'a\tb\\x1b[31m\\u202e');
    assert.equal(escapeName('a\tb'), 'a\\x09b');
    assert.equal(jsonLine({ t: '\u001b\u0085\u200f' }), '{"t":"\\u001b\\u0085\\u200f"}');
    assert.equal(decodeLegacy(Buffer.from('e\u001bv\u2028e:: hi')).name, 'eve');
  });
});
