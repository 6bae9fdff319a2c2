// The mention test behind "notify me when someone writes @name": what counts as a mention, and that
// asking about another name (after Change Name) uses that name, not the pattern kept for the last one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectionView, mentions } from '../../src/extension/views';

describe('mentions', () => {
  it('finds @name in any case, at the start, after punctuation or before it', () => {
    for (const text of ['@alice are you there?', 'ping @Alice, the build is green', 'thanks (@ALICE)', 'done @alice.']) {
      assert.ok(mentions(text, 'alice'), text);
    }
  });

  it('does not take a longer name, an address or a name without @ for a mention', () => {
    for (const text of ['@alicea hi', 'mail bob@alice.example', 'alice: hi', 'x@alice', '@ali']) {
      assert.ok(!mentions(text, 'alice'), text);
    }
  });

  it('takes names with pattern characters literally', () => {
    assert.ok(mentions('hi @a.b+c', 'a.b+c'));
    assert.ok(!mentions('hi @aXb+c', 'a.b+c'));
  });

  it('follows a change of name', () => {
    assert.ok(mentions('@alice hi', 'alice'));
    assert.ok(!mentions('@alice hi', 'alicia'));
    assert.ok(mentions('@alicia hi', 'alicia'));
    assert.ok(mentions('@alice hi', 'alice'));
    assert.ok(!mentions('@alice hi', ''));
  });
});

describe('connectionView', () => {
  it('says whether the room is sealed, for the header and the sidebar', () => {
    const relay = { host: '127.0.0.1', port: 2410 };
    assert.deepEqual(connectionView({ state: 'connected', roomId: '01', epoch: 1 }, relay, true), { state: 'connected', relay: '127.0.0.1:2410', sealed: true });
    assert.deepEqual(connectionView({ state: 'connected', roomId: '01', epoch: 1 }, relay), { state: 'connected', relay: '127.0.0.1:2410' });
  });
});
