// The relay's probe responder on real sockets, on 127.0.0.1 and port 0 (the subnet it answers is the
// loopback one here): who gets an answer and who does not, and how large an answer may be.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { encodeTxt } from '../../src/chat/discovery/info';
import type { NetInterface } from '../../src/chat/discovery/interfaces';
import { decodeDiscovery, encodeProbe, MIN_PROBE_BYTES } from '../../src/chat/discovery/probe';
import { ProbeResponder, refusedSourcePort } from '../../src/chat/discovery/probe-responder';

const LO: NetInterface = { name: 'lo', address: '127.0.0.1', netmask: '255.0.0.0', internal: true };
const ELSEWHERE: NetInterface = { name: 'eth0', address: '192.0.2.1', netmask: '255.255.255.0', internal: false };
const TXT = encodeTxt({ id: '0123456789abcdef', name: 'ann', rooms: [{ name: 'main' }], sealed: [] });
const nonce = Buffer.from('a1a2a3a4a5a6a7a8', 'hex');

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

async function responder(opts: { interfaces?: NetInterface[]; relayPort?: number } = {}): Promise<{ port: number; warnings: Error[] }> {
  const warnings: Error[] = [];
  const r = await ProbeResponder.open({ interfaces: () => opts.interfaces ?? [LO], txt: () => TXT, port: opts.relayPort ?? 2410 }, (e) => warnings.push(e), { host: '127.0.0.1', port: 0 });
  open.push(r);
  return { port: r.address().port, warnings };
}

async function prober(): Promise<{ socket: dgram.Socket; got: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  socket.on('message', (m) => got.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  open.push({ close: () => new Promise<void>((resolve) => socket.close(() => resolve())) });
  return { socket, got };
}

const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('discovery probe responder', () => {
  it('answers a probe from its subnet with its port and TXT, at most 3x the probe', async () => {
    const { port } = await responder();
    const p = await prober();
    const probe = encodeProbe(nonce);
    p.socket.send(probe, port, '127.0.0.1');
    await until(() => p.got.length > 0);
    assert.equal(p.got.length, 1);
    assert.ok(p.got[0].length <= 3 * probe.length);
    const answer = decodeDiscovery(p.got[0]);
    assert.deepEqual(answer.type === 'answer' && [answer.nonce, answer.port, answer.txt.map(String)], [nonce, 2410, TXT]);
  });

  it('does not answer a probe too short to answer within 3x, nor anything that is not a probe', async () => {
    const { port, warnings } = await responder();
    const p = await prober();
    p.socket.send(encodeProbe(nonce, MIN_PROBE_BYTES - 1), port, '127.0.0.1');
    p.socket.send(Buffer.from('sam: hello'), port, '127.0.0.1');
    p.socket.send(Buffer.from([0xf9, 0x44, 1, 2, ...nonce, 9, 9]), port, '127.0.0.1'); // an answer, not a probe
    await settle();
    assert.equal(p.got.length, 0);
    assert.deepEqual(warnings, []);
    p.socket.send(encodeProbe(nonce, MIN_PROBE_BYTES), port, '127.0.0.1');
    await until(() => p.got.length > 0);
    const [only, ...more] = p.got;
    assert.ok(more.length === 0 && only.length <= 3 * MIN_PROBE_BYTES, 'the shortest answerable probe is answered within 3x');
  });

  it('does not answer a source off the subnets it is announced on', async () => {
    const { port } = await responder({ interfaces: [ELSEWHERE] });
    const p = await prober();
    p.socket.send(encodeProbe(nonce), port, '127.0.0.1');
    await settle();
    assert.equal(p.got.length, 0);
  });

  it('never answers to the relay\'s own port, the original chat\'s port or a privileged one', async () => {
    const p = await prober();
    const { port } = await responder({ relayPort: p.socket.address().port });
    p.socket.send(encodeProbe(nonce), port, '127.0.0.1');
    await settle();
    assert.equal(p.got.length, 0);
    assert.match(refusedSourcePort(2410, 5000) ?? '', /original chat/);
    assert.match(refusedSourcePort(53, 5000) ?? '', /privileged/);
    assert.equal(refusedSourcePort(40000, 5000), undefined);
  });

  it('answers at most 20 probes a second, however many arrive', async () => {
    const { port } = await responder();
    const p = await prober();
    for (let i = 0; i < 60; i++) p.socket.send(encodeProbe(nonce), port, '127.0.0.1');
    await settle(500);
    assert.ok(p.got.length >= 15 && p.got.length <= 30, `${p.got.length} answers`);
  });
});
