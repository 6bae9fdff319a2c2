// What a peer's message looks like on a terminal: hostile bytes made visible, lines indented, and the
// JSON shape complete and still parseable.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeLine, escapeName, firstLine, formatMessage, jsonLine, legacyJson, messageJson } from '../../src/cli/format';
import type { RoomMessage } from '../../src/chat/types';

const sender = { id: '0123456789abcdef', name: 'ann', legacy: false };
const text = (t: string, extra: Partial<RoomMessage> = {}): RoomMessage =>
  ({ kind: 'text', text: t, seq: 7, time: 1700000000000, msgId: 3, sender, ...extra }) as RoomMessage;

describe('cli format: terminal text', () => {
  it('prints name: text', () => {
    assert.equal(formatMessage('ann', { kind: 'text', text: 'hi there' }), 'ann: hi there');
  });

  it('indents further lines by two spaces, CRLF counted as one break', () => {
    assert.equal(formatMessage('ann', { kind: 'text', text: 'one\ntwo\r\nthree' }), 'ann: one\n  two\n  three');
  });

  // Each hostile input and what must reach the terminal instead.
  const hostile: [string, string, string][] = [
    ['ESC sequence (clear screen)', 'a\u001b[2Jb', 'a\\x1b[2Jb'],
    ['OSC title change with BEL', '\u001b]0;pwned\u0007', '\\x1b]0;pwned\\x07'],
    ['lone CR rewriting the line', 'safe\rEVIL', 'safe\\x0dEVIL'],
    ['backspace', 'ab\bc', 'ab\\x08c'],
    ['NUL', 'a\u0000b', 'a\\x00b'],
    ['DEL', 'a\u007fb', 'a\\x7fb'],
    ['C1 CSI', 'a\u009b31mb', 'a\\x9b31mb'],
    ['C1 NEL', 'a\u0085b', 'a\\x85b'],
    ['bidi override (Trojan Source)', 'a\u202eb', 'a\\u202eb'],
    ['bidi isolate', 'a\u2066b\u2069', 'a\\u2066b\\u2069'],
    ['line separator', 'a\u2028b', 'a\\u2028b'],
  ];
  for (const [what, input, shown] of hostile) {
    it(`makes ${what} visible`, () => {
      assert.equal(escapeLine(input), shown);
      assert.equal(formatMessage('eve', { kind: 'text', text: input }), `eve: ${shown}`);
    });
  }

  it('keeps tabs and ordinary Unicode in text', () => {
    assert.equal(escapeLine('a\tb é 日本 🎉'), 'a\tb é 日本 🎉');
  });

  it('escapes controls, tabs and newlines in names (legacy names are unverified)', () => {
    assert.equal(escapeName('ev\u001b[31mil\tx\ny'), 'ev\\x1b[31mil\\x09x\\x0ay');
    assert.equal(formatMessage('e\u001bve', { kind: 'text', text: 'x' }), 'e\\x1bve: x');
  });

  it('marks a legacy sender [unverified] after the name, so no name can hide the mark', () => {
    assert.equal(formatMessage('alice', { kind: 'text', text: 'hi' }, true), 'alice [unverified]: hi');
    assert.equal(formatMessage('alice', { kind: 'text', text: 'one\ntwo' }, true), 'alice [unverified]: one\n  two');
    // A bidi control in a claimed name cannot move the mark: it is escaped, and the mark comes after.
    assert.equal(formatMessage('alice\u202e', { kind: 'text', text: 'x' }, true), 'alice\\u202e [unverified]: x');
    assert.equal(formatMessage('alice', { kind: 'text', text: 'hi' }), 'alice: hi', 'a member is not marked');
  });

  it('prints a snippet as its place, then the code indented, without a trailing empty line', () => {
    const body = { kind: 'snippet' as const, text: 'if (x) {\n\treturn 1;\n}\n', path: 'src/a.ts', startLine: 10, endLine: 12, language: 'typescript' };
    assert.equal(formatMessage('bob', body), 'bob: [src/a.ts:10-12]\n  if (x) {\n  \treturn 1;\n  }');
  });

  it('escapes a hostile snippet path and code', () => {
    const body = { kind: 'snippet' as const, text: '\u001b[2J', path: 'a\u001b.ts', startLine: 1, endLine: 1, language: '' };
    assert.equal(formatMessage('bob', body), 'bob: [a\\x1b.ts:1-1]\n  \\x1b[2J');
  });

  it('names an undelivered message by its first non-empty line, cut short', () => {
    assert.equal(firstLine({ kind: 'text', text: '\nhello\nworld' }), 'hello');
    assert.equal(firstLine({ kind: 'text', text: 'x'.repeat(100) }, 10), 'xxxxxxxxx…');
    assert.equal(firstLine({ kind: 'text', text: 'a\u001bb' }), 'a\\x1bb');
  });
});

/** A printed JSON line as the scripts that read it see it: a record of unknown values. */
const parseLine = (line: string) => JSON.parse(line) as Record<string, unknown>;

describe('cli format: JSON lines', () => {
  it('has every field, null where it does not apply', () => {
    const parsed = parseLine(jsonLine(messageJson(text('hi'), false)));
    assert.deepEqual(parsed, {
      seq: 7,
      time: 1700000000000,
      msgId: 3,
      sender: { id: '0123456789abcdef', name: 'ann', legacy: false },
      kind: 'text',
      text: 'hi',
      path: null,
      startLine: null,
      endLine: null,
      language: null,
      reason: null,
      backfill: false,
      verified: false,
      fingerprint: null,
      replyTo: null,
      to: null,
      emoji: null,
      remove: null,
      room: 'main',
      file: null,
    });
  });

  it('says verified, with the signing key\'s fingerprint, only for a message whose signature checked out', () => {
    const fp = 'a'.repeat(52);
    const signed = parseLine(jsonLine(messageJson(text('hi', { sender: { ...sender, fingerprint: fp }, verified: true }), false)));
    assert.deepEqual([signed.verified, signed.fingerprint], [true, fp]);
    for (const legacy of [false, true]) {
      const parsed = parseLine(jsonLine(messageJson(text('hi', { sender: { ...sender, legacy, fingerprint: fp } }), false)));
      assert.equal(parsed.verified, false);
      assert.equal(parsed.fingerprint, null, 'no fingerprint is vouched for without a good signature');
    }
  });

  it('carries a snippet\'s place and language, and the backfill flag', () => {
    const snippet = { kind: 'snippet', text: 'x', path: 'a.py', startLine: 2, endLine: 3, language: 'python' };
    const parsed = parseLine(jsonLine(messageJson(text('', snippet as Partial<RoomMessage>), true)));
    assert.equal(parsed.kind, 'snippet');
    assert.deepEqual([parsed.path, parsed.startLine, parsed.endLine, parsed.language, parsed.backfill], ['a.py', 2, 3, 'python', true]);
  });

  it('keeps C1, DEL and bidi controls escaped on the line yet equal after parsing', () => {
    const hostile = 'a\u009b\u007f\u202e\u2028\u001bz';
    const line = jsonLine(messageJson(text(hostile), false));
    assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u202e\u2028]/u);
    assert.equal(parseLine(line).text, hostile);
  });

  it('gives seed datagrams the same shape, marked legacy', () => {
    const parsed = parseLine(jsonLine(legacyJson('old', 'hello', 5)));
    assert.deepEqual(parsed.sender, { id: '0000000000000000', name: 'old', legacy: true });
    assert.equal(parsed.seq, null);
    assert.equal(parsed.msgId, null);
    assert.equal(parsed.text, 'hello');
    assert.equal(parsed.time, 5);
    assert.equal(parsed.verified, false);
    assert.equal(parsed.fingerprint, null);
  });
});

describe('cli format: conversation kinds', () => {
  it('shows a reaction, edit or delete as what it did, also where no thread knows the message (relay --log)', () => {
    assert.equal(formatMessage('bob', { kind: 'reaction', text: '', to: 3, emoji: '👍', remove: false }), '* bob reacted 👍 to #3');
    assert.equal(formatMessage('bob', { kind: 'reaction', text: '', to: 3, emoji: '👍', remove: true }), '* bob took back 👍 on #3');
    assert.equal(formatMessage('ann', { kind: 'edit', text: 'new\ntext', to: 3 }), '* ann edited #3: new\n  text');
    assert.equal(formatMessage('ann\u202e', { kind: 'delete', text: '', to: 3 }), '* ann\\u202e deleted #3');
  });
});
