// Discovery's pure rules: which interfaces a relay is announced on, one relay per id however many
// interfaces and ways it answered on, how `whatsudp discover` prints it, and its options.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeSightings, type Sighting } from '../../src/chat/discovery/found';
import { announceTargets, broadcastAddress, interfaceFor, ipv4Interfaces, onLink, type NetInterface } from '../../src/chat/discovery/interfaces';
import { parseDiscoverArgs, parseRelayArgs } from '../../src/cli/args';
import { formatRelay, relayJson } from '../../src/cli/discover-format';

const table = {
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', internal: true }, { address: '::1', netmask: 'ffff::', family: 'IPv6', internal: true }],
  eth0: [{ address: '192.0.2.7', netmask: '255.255.255.0', family: 'IPv4', internal: false }],
  wlan0: [{ address: '198.51.100.9', netmask: '255.255.255.252', family: 4, internal: false }, { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', internal: false }],
};
const ifaces = ipv4Interfaces(table);
const [lo, eth0, wlan0] = ifaces;

describe('discovery interfaces', () => {
  it('takes the IPv4 addresses of every interface', () => {
    assert.deepEqual(ifaces.map((i) => `${i.name} ${i.address}`), ['lo 127.0.0.1', 'eth0 192.0.2.7', 'wlan0 198.51.100.9']);
  });

  it('tells which interface an address is on', () => {
    assert.ok(onLink('192.0.2.200', eth0));
    assert.ok(!onLink('192.0.3.1', eth0));
    assert.ok(!onLink('fe80::2', eth0));
    assert.equal(interfaceFor('198.51.100.10', ifaces)?.name, 'wlan0');
    assert.equal(interfaceFor('198.51.100.12', ifaces), undefined);
    assert.equal(interfaceFor('203.0.113.1', ifaces), undefined);
  });

  it('broadcasts to the subnet, and not at all on /31 and /32', () => {
    assert.equal(broadcastAddress(eth0), '192.0.2.255');
    assert.equal(broadcastAddress(wlan0), '198.51.100.11');
    assert.equal(broadcastAddress({ ...eth0, netmask: '255.255.255.254' }), undefined);
    assert.equal(broadcastAddress({ ...eth0, netmask: '255.255.255.255' }), undefined);
  });

  const names = (host: string): string[] | string => {
    const t = announceTargets(host, ifaces);
    return t.ok ? t.interfaces.map((i: NetInterface) => i.name) : t.reason;
  };

  it('announces a relay on every interface but loopback, or only where it listens', () => {
    assert.deepEqual(names('0.0.0.0'), ['eth0', 'wlan0']);
    assert.deepEqual(names('::'), ['eth0', 'wlan0']);
    assert.deepEqual(names('198.51.100.9'), ['wlan0']);
  });

  it('never announces a relay on loopback, nor one it cannot point to', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) assert.match(names(host) as string, /can only be reached from this machine/);
    assert.match(names('2001:db8::1') as string, /IPv6-only relay .* is not supported yet/);
    assert.match(names('203.0.113.5') as string, /not an address of a network interface here/);
    assert.match((announceTargets('0.0.0.0', [lo]) as { reason: string }).reason, /no network interface but loopback/);
  });
});

const seen = (over: Partial<Sighting> & { id?: string }): Sighting => ({
  host: '192.0.2.1', port: 2410, interface: 'eth0', via: 'mdns',
  info: { version: 1, id: over.id ?? '0123456789abcdef', name: 'ann', rooms: [{ name: 'main' }], sealed: [] },
  ...over,
});

describe('discovery: one line per relay', () => {
  it('lists a relay seen on two interfaces and both ways once, at the address it was first found', () => {
    const relays = mergeSightings([
      seen({ via: 'broadcast' }),
      seen({ host: '198.51.100.1', interface: 'wlan0' }),
      seen({}),
      seen({ id: 'fedcba9876543210', host: '192.0.2.2' }),
    ]);
    assert.equal(relays.length, 2);
    const [first] = relays;
    assert.deepEqual([first.host, first.interface, first.via], ['192.0.2.1', 'eth0', ['broadcast', 'mdns']]);
    assert.deepEqual(first.addresses, [
      { host: '192.0.2.1', port: 2410, interface: 'eth0', via: ['broadcast', 'mdns'] },
      { host: '198.51.100.1', port: 2410, interface: 'wlan0', via: ['mdns'] },
    ]);
  });

  it('a relay that sent no id is one relay per address', () => {
    const noId = (host: string): Sighting => ({ host, port: 2410, interface: 'eth0', via: 'broadcast', info: { rooms: [], sealed: [] } });
    assert.equal(mergeSightings([noId('192.0.2.1'), noId('192.0.2.1'), noId('192.0.2.2')]).length, 2);
  });

  it('an answer that had to be cut short does not hide what a whole one said', () => {
    const cut = seen({ via: 'broadcast', info: { version: 1, id: '0123456789abcdef', rooms: [], sealed: [] } });
    assert.deepEqual(mergeSightings([seen({}), cut])[0].rooms, [{ name: 'main' }]);
    assert.deepEqual(mergeSightings([cut, seen({})])[0].rooms, [{ name: 'main' }]);
  });
});

describe('whatsudp discover: how a relay is printed', () => {
  const [relay] = mergeSightings([seen({}), seen({ host: '198.51.100.1', interface: 'wlan0' })]);

  it('puts HOST:PORT first, then where else it answered, its rooms, fingerprint and name', () => {
    assert.equal(formatRelay(relay), '192.0.2.1:2410 on eth0 (also 198.51.100.1:2410 on wlan0)  rooms: main  fingerprint: -  name: ann');
  });

  it('shows names and rooms from the network with visible escapes', () => {
    const [hostile] = mergeSightings([seen({ info: { version: 1, id: '0123456789abcdef', name: 'x\u001b[2J\u202eevil', rooms: [], sealed: [] } })]);
    assert.equal(formatRelay(hostile), '192.0.2.1:2410 on eth0  rooms: -  fingerprint: -  name: x\\x1b[2J\\u202eevil');
  });

  it('says when a relay speaks a newer version whose rooms it cannot read', () => {
    const [newer] = mergeSightings([seen({ info: { version: 2, id: '0123456789abcdef', rooms: [], sealed: [] } })]);
    assert.match(formatRelay(newer), /^192\.0\.2\.1:2410 on eth0 {2}announces version 2, newer than this whatsudp/);
  });

  it('as JSON has every key, null where the relay told nothing', () => {
    assert.deepEqual(relayJson(relay), {
      address: '192.0.2.1:2410', host: '192.0.2.1', port: 2410, interface: 'eth0',
      addresses: [{ address: '192.0.2.1:2410', interface: 'eth0', via: ['mdns'] }, { address: '198.51.100.1:2410', interface: 'wlan0', via: ['mdns'] }],
      via: ['mdns'], id: '0123456789abcdef', name: 'ann', rooms: [{ name: 'main', id: null }], sealed: [], fingerprint: null, more: false, version: null,
    });
  });
});

describe('whatsudp discover and relay --announce: options', () => {
  it('discover defaults to 3 s on every interface, in lines', () => {
    assert.deepEqual(parseDiscoverArgs([]), { timeoutMs: 3000, json: false, interfaces: [] });
    assert.deepEqual(parseDiscoverArgs(['--json', '--timeout-ms', '500', '--interface', 'eth0', '--interface', 'wlan0']), { timeoutMs: 500, json: true, interfaces: ['eth0', 'wlan0'] });
  });

  it('discover refuses what it cannot use', () => {
    assert.throws(() => parseDiscoverArgs(['--timeout-ms', '99']), /--timeout-ms must be a whole number from 100 to 3600000, not "99"/);
    assert.throws(() => parseDiscoverArgs(['--interface', '']), /--interface must be an interface name/);
    assert.throws(() => parseDiscoverArgs(['--name', 'x']), /Unknown option '--name'/);
  });

  it('--host alone never announces; --announce must be asked for', () => {
    assert.equal(parseRelayArgs(['--host', '0.0.0.0']).announce, false);
    assert.equal(parseRelayArgs(['--host', '0.0.0.0', '--announce']).announce, true);
  });

  it('--announce on loopback (the default host) or on the probe\'s port is a usage error', () => {
    assert.throws(() => parseRelayArgs(['--announce']), /--announce: a relay on 127\.0\.0\.1 can only be reached from this machine; add --host 0\.0\.0\.0/);
    assert.throws(() => parseRelayArgs(['--announce', '--host', '[::1]']), /a relay on ::1 can only be reached/);
    assert.throws(() => parseRelayArgs(['--announce', '--host', '0.0.0.0', '--port', '24100']), /port 24100 is the discovery probe's own port/);
  });
});
