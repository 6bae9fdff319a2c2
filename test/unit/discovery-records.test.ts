// DNS-SD over mDNS without sockets: the records a relay announces on one interface, which of them
// answer which query, and how a browser puts together records that arrive in pieces, through real
// DNS bytes (dns-packet, the codec multicast-dns uses).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as packet from 'dns-packet';
import type { Answer } from 'dns-packet';
import { SERVICE_TYPE, type RelayInfo } from '../../src/chat/discovery/info';
import { allRecords, announcement, answerQuery, instanceLabel, MdnsCache } from '../../src/chat/discovery/records';

const info: RelayInfo = { id: '0123456789abcdef', name: 'ann.example.org', rooms: [{ name: 'main' }], sealed: [] };
const ann = announcement(info, 2410, '192.0.2.1');
const names = (list: Answer[]): string[] => list.map((r) => `${r.type} ${r.name}`);

/** Through the wire format and back, as a browser would receive it. */
function viaBytes(records: Answer[]): Answer[] {
  const decoded = packet.decode(packet.encode({ type: 'response', answers: records }));
  return decoded.answers ?? [];
}

describe('discovery records: what a relay announces', () => {
  it('names the instance after the relay and its port, without dots, and its host after its id', () => {
    assert.equal(ann.instance, `ann-example-org (port 2410).${SERVICE_TYPE}`);
    assert.equal(ann.target, 'wu-0123456789abcdef.local');
    assert.ok(Buffer.byteLength(instanceLabel('x'.repeat(100), 65535)) <= 63);
  });

  it('announces PTR, SRV, TXT and the A record of the interface it is on', () => {
    const { answers } = allRecords(ann);
    assert.deepEqual(names(answers), [`PTR ${SERVICE_TYPE}`, `SRV ${ann.instance}`, `TXT ${ann.instance}`, `A ${ann.target}`]);
    const a = viaBytes(answers).find((r) => r.type === 'A');
    assert.deepEqual(a && 'data' in a ? a.data : undefined, '192.0.2.1');
  });

  it('a goodbye is the same records with TTL 0', () => {
    const bye = allRecords(announcement(info, 2410, '192.0.2.1', 0)).answers;
    assert.ok(viaBytes(bye).every((r) => 'ttl' in r && r.ttl === 0));
  });
});

describe('discovery records: answering queries', () => {
  it('a browse (PTR) gets the PTR, with SRV, TXT and A as additionals', () => {
    const a = answerQuery(ann, [{ name: SERVICE_TYPE, type: 'PTR' }], []);
    assert.deepEqual(a && names(a.answers), [`PTR ${SERVICE_TYPE}`]);
    assert.deepEqual(a && names(a.additionals), [`SRV ${ann.instance}`, `TXT ${ann.instance}`, `A ${ann.target}`]);
  });

  it('matches names without regard to case, and ANY asks for everything of a name', () => {
    const a = answerQuery(ann, [{ name: ann.instance.toUpperCase(), type: 'ANY' as 'A' }], []);
    assert.deepEqual(a && names(a.answers), [`SRV ${ann.instance}`, `TXT ${ann.instance}`]);
    assert.deepEqual(a && names(a.additionals), [`A ${ann.target}`]);
  });

  it('answers the host and service-enumeration questions too', () => {
    assert.deepEqual(names(answerQuery(ann, [{ name: ann.target, type: 'A' }], [])?.answers ?? []), [`A ${ann.target}`]);
    assert.deepEqual(answerQuery(ann, [{ name: '_services._dns-sd._udp.local', type: 'PTR' }], [])?.answers.map((r) => 'data' in r && r.data), [SERVICE_TYPE]);
  });

  it('says nothing to questions about others', () => {
    assert.equal(answerQuery(ann, [{ name: '_http._tcp.local', type: 'PTR' }, { name: 'printer.local', type: 'A' }], []), undefined);
  });

  it('does not repeat a PTR the querier already holds with more than half its TTL (known-answer suppression)', () => {
    const fresh: Answer = { name: SERVICE_TYPE, type: 'PTR', ttl: 4000, data: ann.instance.toUpperCase() };
    const stale: Answer = { ...fresh, ttl: 100 };
    assert.equal(answerQuery(ann, [{ name: SERVICE_TYPE, type: 'PTR' }], [fresh]), undefined);
    assert.ok(answerQuery(ann, [{ name: SERVICE_TYPE, type: 'PTR' }], [stale]));
  });
});

describe('discovery records: a browser putting records together', () => {
  const r = ann.records;

  it('completes a relay from records in any order and packets, and reads its TXT', () => {
    const cache = new MdnsCache();
    assert.deepEqual(cache.add(viaBytes([r.srv])), [], 'records for an instance not yet named are not taken');
    assert.deepEqual(cache.add(viaBytes([r.ptr])), [ann.instance.toLowerCase()]);
    const relay = cache.get(ann.instance);
    assert.ok(relay);
    assert.deepEqual(cache.missing(relay), [{ name: ann.instance, type: 'SRV' }, { name: ann.instance, type: 'TXT' }]);
    cache.add(viaBytes([r.srv, r.txt]));
    assert.deepEqual(cache.missing(relay), [{ name: ann.target, type: 'A' }]);
    assert.deepEqual(cache.add(viaBytes([r.a])), [ann.instance.toLowerCase()]);
    assert.equal(relay.port, 2410);
    assert.equal(cache.address(relay), '192.0.2.1');
    assert.deepEqual(relay.info, { version: 1, id: info.id, name: info.name, rooms: [{ name: 'main' }], sealed: [] });
    assert.deepEqual(cache.missing(relay), []);
  });

  it('forgets a relay that says goodbye', () => {
    const cache = new MdnsCache();
    cache.add(viaBytes(allRecords(ann).answers));
    assert.ok(cache.get(ann.instance));
    assert.deepEqual(cache.add(viaBytes(allRecords(announcement(info, 2410, '192.0.2.1', 0)).answers)), [ann.instance.toLowerCase()]);
    assert.equal(cache.get(ann.instance), undefined);
  });

  it('ignores PTRs of other services', () => {
    const cache = new MdnsCache();
    assert.deepEqual(cache.add(viaBytes([{ name: '_http._tcp.local', type: 'PTR', ttl: 120, data: 'web._http._tcp.local' }])), []);
  });
});

describe('discovery records: a browser on a busy or hostile link', () => {
  it('keeps only the latest relays and host addresses it heard', () => {
    const cache = new MdnsCache(4);
    for (let i = 0; i < 10; i++) cache.add([{ name: SERVICE_TYPE, type: 'PTR', ttl: 120, data: `r${i}.${SERVICE_TYPE}` }, { name: `h${i}.local`, type: 'A', ttl: 120, data: '192.0.2.9' }]);
    assert.equal(cache.get(`r0.${SERVICE_TYPE}`), undefined);
    assert.ok(cache.get(`r9.${SERVICE_TYPE}`));
    cache.add([{ name: `r9.${SERVICE_TYPE}`, type: 'SRV', ttl: 120, data: { port: 1, target: 'h9.local' } }]);
    const r9 = cache.get(`r9.${SERVICE_TYPE}`);
    assert.equal(r9 && cache.address(r9), '192.0.2.9');
  });
});
