// What "WhatsUDP: Find Relays on My Network" lists: one row per relay however many interfaces it
// answered on, its address to join, its rooms and key, and announced text that cannot disguise itself.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FoundRelay } from '../../src/chat/discovery';
import { relayItem, relayItems, searchStatus } from '../../src/extension/relayItems';

function relay(over: Partial<FoundRelay> = {}): FoundRelay {
  return {
    id: '0123456789abcdef',
    host: '10.1.0.2',
    port: 2410,
    interface: 'eth0',
    addresses: [{ host: '10.1.0.2', port: 2410, interface: 'eth0', via: ['mdns'] }],
    via: ['mdns'],
    name: 'ann-laptop',
    rooms: [{ name: 'main' }],
    sealed: [],
    more: false,
    ...over,
  };
}

describe('Find Relays rows', () => {
  it('name the relay, give the address to join and where it was found, its rooms and its key', () => {
    const fp = 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst';
    const item = relayItem(relay({ fingerprint: fp, rooms: [{ name: 'main' }, { name: 'ops', id: '00000000000000aa' }], sealed: [{ name: 'secret' }] }));
    assert.equal(item.label, 'ann-laptop');
    assert.equal(item.address, '10.1.0.2:2410');
    assert.equal(item.description, '10.1.0.2:2410 on eth0');
    assert.equal(item.detail, `rooms: main, ops · sealed: secret · key ${fp}`);
  });

  it('list a relay seen on two interfaces once, with its other address', () => {
    const two = relay({
      addresses: [
        { host: '10.1.0.2', port: 2410, interface: 'eth0', via: ['mdns'] },
        { host: '10.2.0.2', port: 2410, interface: 'eth1', via: ['broadcast'] },
      ],
      via: ['mdns', 'broadcast'],
    });
    const items = relayItems([two]);
    assert.equal(items.length, 1);
    assert.equal(items[0].description, '10.1.0.2:2410 on eth0, also 10.2.0.2:2410 on eth1');
  });

  it('fall back to the address when no name was announced, and say when no key or room was', () => {
    const item = relayItem(relay({ name: undefined, rooms: [], fingerprint: undefined, host: '::1', port: 9, addresses: [] }));
    assert.equal(item.label, '[::1]:9');
    assert.equal(item.address, '[::1]:9');
    assert.equal(item.detail, 'rooms: none announced · no key announced');
  });

  it('say that a relay announcing a newer version must be updated to see its rooms', () => {
    assert.match(relayItem(relay({ version: 2 })).detail, /announces version 2, newer than this WhatsUDP/);
  });

  it('show controls, bidi overrides and invisible characters in announced text instead of obeying them', () => {
    const item = relayItem(relay({ name: 'ann\u202Egnp.exe', rooms: [{ name: 'ma\u200Bin' }], interface: 'eth\u00000', addresses: [] }));
    assert.ok(!/[\u0000-\u001f\u202a-\u202e\u200b]/u.test(`${item.label}${item.description}${item.detail}`), JSON.stringify(item));
    assert.match(item.label, /^ann\\u\{202e\}gnp\.exe$/);
    assert.match(item.detail, /rooms: ma⟨.+⟩in/);
    assert.match(item.description, /on eth\\u\{0\}0$/);
  });
});

describe('Find Relays status line', () => {
  it('says where it searches, how many it found, and that only shared relays answer', () => {
    assert.equal(searchStatus(0, ['eth0', 'eth1'], true), 'Searching eth0, eth1: no relay yet. Relays are found only when their owner shares them.');
    assert.equal(searchStatus(2, ['eth0', 'eth0'], false), 'Search ended on eth0: 2 relays.');
    assert.match(searchStatus(0, ['eth0'], false), /No relay answered on eth0\. .*you can still type an address/);
    assert.match(searchStatus(0, [], true), /no network interface but loopback/);
  });
});
