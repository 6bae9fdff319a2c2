// The webview's check of the items the host sends: every delivery state the host can send is taken,
// anything else is left out and reported (one bad item must not break every later render).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChatItem, DELIVERY_STATES } from '../../src/common/messages';
import { isChatItem, validItems } from '../../src/webview/valid';

const message = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'message', key: 's:1', seq: 1, time: 1, own: true, sender: { id: '0123456789abcdef', name: 'ann', legacy: false },
  body: { kind: 'text', text: 'hi' }, ...extra,
});

describe('webview item check', () => {
  it('takes an own message in each delivery state, and one without a state', () => {
    for (const state of DELIVERY_STATES) assert.ok(isChatItem(message({ state })), state);
    assert.ok(isChatItem(message({ own: false })));
  });

  it('leaves out a state it does not know, and reports it by key', () => {
    const reports: string[] = [];
    const items = validItems([message({ state: 'read' }), message({ key: 's:2', state: 'delivered' })], (m) => reports.push(m));
    assert.deepEqual(items.map((i: ChatItem) => i.key), ['s:2']);
    assert.deepEqual(reports, ['Ignored a malformed chat item s:1']);
  });

  it('reports the first three bad items by key, then how many there were', () => {
    const reports: string[] = [];
    const bad = [null, 'x', { key: 'k' }, message({ body: { kind: 'snippet', text: 'x' } }), message({ sender: {} })];
    assert.deepEqual(validItems(bad, (m) => reports.push(m)), []);
    assert.deepEqual(reports, [
      'Ignored a malformed chat item (no key)',
      'Ignored a malformed chat item (no key)',
      'Ignored a malformed chat item k',
      'Ignored 5 malformed chat items in all',
    ]);
  });
});
