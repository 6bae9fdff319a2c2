// Measure 13 (issue 15, relays sharing rooms through NATS JetStream). Relays as users run them: `whatsudp
// relay` child processes (dist/cli.js, which loads dist/cluster.js), each stopped by its PID; one
// nats-server on 127.0.0.1 with JetStream in a temporary folder (test/unit/helpers/nats.ts). In the same
// run, alternating: (a) one relay with its --store, sender and receiver on it, against (b) two relays
// --cluster on that JetStream, the sender on one and the receiver on the other. Each side: throughput
// (messages/s that reached the receiver, IN_FLIGHT messages kept in flight, from one sender and
// from SENDERS at once: one author's messages are appended one after another) and latency (a message every
// 20 ms, send to delivery at the receiver, p50/p99). Then the failover time: a member on relay A with
// relay B as her other server, talking every 50 ms; A killed (SIGKILL) -> her first message delivered
// through B, default client timers, a few runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatClient } from '../src/chat/client/client';
import type { Address } from '../src/chat/types';
import { NatsFixture } from '../test/unit/helpers/nats';
import { ms, num, row, type Row } from './lib/report';
import { median, round, sleep, summarize, waitFor, type Summary } from './lib/stats';

const CLI = path.join(process.cwd(), 'dist', 'cli.js');
const IN_FLIGHT = 16;
const LATENCY_GAP_MS = 20;
const FAILOVER_LIMIT_MS = 60_000;
/** The per-member and per-host limits out of the way (as measure 1's UNLIMITED): the relays are measured. */
const NO_LIMITS = ['rate', 'burst', 'address-rate', 'address-burst', 'host-rate', 'host-burst', 'host-message-rate', 'host-message-burst'].flatMap((f) => [`--${f}`, '1000000']);

/** A `whatsudp relay` child process: its address once it listens, killed by its PID. */
interface RelayProc {
  address: Address;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

async function relay(args: string[]): Promise<RelayProc> {
  const config = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-bench-config-'));
  const child = spawn(process.execPath, [CLI, 'relay', '--port', '0', ...NO_LIMITS, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', XDG_CONFIG_HOME: config } });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const address = await new Promise<Address>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`relay ${args.join(' ')}: no address within 10 s: ${err}`)), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ host: m[1], port: Number(m[2]) });
      }
    });
    void exited.then(() => reject(new Error(`relay ${args.join(' ')} exited: ${err}`)));
  });
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, signal);
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    rmSync(config, { recursive: true, force: true });
  };
  return { address, kill };
}

interface SideRun {
  /** Messages/s that reached the receiver: one sender, then SENDERS senders at once. */
  perSecond: number;
  perSecondMany: number;
  latency: Summary;
}

/** Senders sharing one room; IN_FLIGHT messages in flight among them. */
const SENDERS = 4;

/** `senders` members on `from` send `count` messages in all, IN_FLIGHT in flight; messages/s at `to`'s receiver. */
async function closedLoop(senders: ChatClient[], receiver: ChatClient, count: number, label: string): Promise<number> {
  const names = new Set(senders.map((c) => c.name));
  let got = 0;
  let sent = 0;
  const topUp = () => {
    while (sent < count && sent - got < IN_FLIGHT) senders[sent % senders.length].send({ kind: 'text', text: `${label} ${sent++}` });
  };
  const onMessage = (m: { sender: { name: string }; text: string }) => {
    if (!names.has(m.sender.name) || !m.text.startsWith(`${label} `)) return;
    got++;
    topUp();
  };
  receiver.on('message', onMessage);
  try {
    const t0 = performance.now();
    topUp();
    if (!(await waitFor(() => got >= count, 120_000))) throw new Error(`${label}: ${got} of ${count} messages within 120 s`);
    return round(count / ((performance.now() - t0) / 1000), 0);
  } finally {
    receiver.off('message', onMessage);
  }
}

/** Senders on `from`, a receiver on `to`: throughput with one sender, then SENDERS; then `samples` paced messages' latency. */
async function measure(from: Address, to: Address, count: number, samples: number, label: string): Promise<SideRun> {
  const senders = Array.from({ length: SENDERS }, (_, i) => new ChatClient({ server: from, name: `${label}-s${i}`, wantsRoster: false }));
  const receiver = new ChatClient({ server: to, name: `${label}-r`, wantsRoster: false });
  try {
    for (const c of [...senders, receiver]) await c.start();
    const perSecond = await closedLoop(senders.slice(0, 1), receiver, count, 'one');
    const perSecondMany = await closedLoop(senders, receiver, count, 'many');
    // Latency: one message every LATENCY_GAP_MS, each timed from its send to the receiver.
    const stamps = new Map<string, number>();
    const latencies: number[] = [];
    receiver.on('message', (m) => {
      const t = stamps.get(m.text);
      if (t !== undefined && m.sender.name === senders[0].name) latencies.push(performance.now() - t);
    });
    for (let i = 0; i < samples; i++) {
      stamps.set(`l${i}`, performance.now());
      senders[0].send({ kind: 'text', text: `l${i}` });
      await sleep(LATENCY_GAP_MS);
    }
    if (!(await waitFor(() => latencies.length >= samples, 20_000))) throw new Error(`${label}: ${latencies.length} of ${samples} timed messages arrived`);
    return { perSecond, perSecondMany, latency: summarize(latencies) };
  } finally {
    for (const c of [...senders, receiver]) await c.close();
  }
}

/** Relay A killed -> the member's first message delivered through B, in ms (NaN: not within the limit). */
async function failoverOnce(nats: NatsFixture): Promise<number> {
  const a = await relay(['--cluster', nats.urls[0]]);
  const b = await relay(['--cluster', nats.urls[0]]);
  const ann = new ChatClient({ server: a.address, servers: [b.address], name: 'ann', wantsRoster: false });
  try {
    await ann.start();
    let killedAt = 0;
    let firstAfter = 0;
    ann.on('message', (m) => {
      if (killedAt && !firstAfter && m.sender.name === 'ann') firstAfter = performance.now();
    });
    let i = 0;
    const talk = setInterval(() => ann.send({ kind: 'text', text: `ping ${i++}` }), 50);
    try {
      await sleep(1000);
      killedAt = performance.now();
      await a.kill('SIGKILL');
      await waitFor(() => firstAfter > 0, FAILOVER_LIMIT_MS, 10);
    } finally {
      clearInterval(talk);
    }
    return firstAfter ? round(firstAfter - killedAt, 0) : NaN;
  } finally {
    await ann.close();
    await a.kill();
    await b.kill();
  }
}

export interface ClusterResult {
  rounds: { store: SideRun; cluster: SideRun }[];
  failoverMs: number[];
}

export async function cluster(rounds: number, count: number, samples: number, failovers: number): Promise<ClusterResult> {
  const nats = await NatsFixture.single();
  const storeDir = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-bench-store-'));
  const procs: RelayProc[] = [];
  try {
    const single = await relay(['--store', storeDir]);
    procs.push(single);
    const a = await relay(['--cluster', nats.urls[0]]);
    procs.push(a);
    const b = await relay(['--cluster', nats.urls[0]]);
    procs.push(b);
    const out: ClusterResult = { rounds: [], failoverMs: [] };
    for (let r = 0; r < rounds; r++) {
      // Alternating which side goes first, so a busy moment of the shared machine weighs on both.
      const first = r % 2 === 0;
      const s1 = first ? await measure(single.address, single.address, count, samples, `store${r}`) : undefined;
      const c = await measure(a.address, b.address, count, samples, `cluster${r}`);
      const s = s1 ?? (await measure(single.address, single.address, count, samples, `store${r}`));
      out.rounds.push({ store: s, cluster: c });
    }
    for (let i = 0; i < failovers; i++) out.failoverMs.push(await failoverOnce(nats));
    return out;
  } finally {
    for (const p of procs) await p.kill();
    rmSync(storeDir, { recursive: true, force: true });
    await nats.stop();
  }
}

/** The rows of measure 13 in the table, and its raw figures. */
export async function clusterSection(quick: boolean): Promise<{ rows: Row[]; data: ClusterResult }> {
  const r = await cluster(quick ? 1 : 3, quick ? 500 : 2000, quick ? 100 : 500, quick ? 2 : 3);
  const med = (f: (x: { store: SideRun; cluster: SideRun }) => number) => median(r.rounds.map(f));
  const [tStore, tCluster] = [med((x) => x.store.perSecond), med((x) => x.cluster.perSecond)];
  const [tStoreMany, tClusterMany] = [med((x) => x.store.perSecondMany), med((x) => x.cluster.perSecondMany)];
  const [pStore, pCluster] = [med((x) => x.store.latency.p99), med((x) => x.cluster.latency.p99)];
  const [mStore, mCluster] = [med((x) => x.store.latency.p50), med((x) => x.cluster.latency.p50)];
  const runs = (f: (x: { store: SideRun; cluster: SideRun }) => string) => r.rounds.map(f).join(', ');
  const ok = r.failoverMs.filter((x) => Number.isFinite(x));
  const failed = r.failoverMs.length - ok.length;
  const max = ok.length ? Math.max(...ok) : NaN;
  return {
    rows: [
      row(`13. cluster: throughput, one sender, one relay --store (sender and receiver on it), ${r.rounds.length} rounds`, `${num(tStore)} msg/s (median; runs ${runs((x) => num(x.store.perSecond))})`),
      row('13. cluster: throughput, one sender, two relays --cluster on one nats-server (sender on one, receiver on the other) (ratio to --store)', `${num(tCluster)} msg/s (${(tCluster / tStore).toFixed(2)}x; runs ${runs((x) => num(x.cluster.perSecond))})`),
      row(`13. cluster: throughput, ${SENDERS} senders, one relay --store`, `${num(tStoreMany)} msg/s (median; runs ${runs((x) => num(x.store.perSecondMany))})`),
      row(`13. cluster: throughput, ${SENDERS} senders, two relays --cluster (ratio to --store)`, `${num(tClusterMany)} msg/s (${(tClusterMany / tStoreMany).toFixed(2)}x; runs ${runs((x) => num(x.cluster.perSecondMany))})`),
      row(`13. cluster: latency at ${1000 / LATENCY_GAP_MS} msg/s, one relay --store`, `p50 ${ms(mStore)}, p99 ${ms(pStore)} (runs p99 ${runs((x) => ms(x.store.latency.p99))})`),
      row(`13. cluster: latency at ${1000 / LATENCY_GAP_MS} msg/s, across two relays --cluster (ratio to --store)`, `p50 ${ms(mCluster)}, p99 ${ms(pCluster)} (${(pCluster / pStore).toFixed(2)}x; runs p99 ${runs((x) => ms(x.cluster.latency.p99))})`),
      row(
        '13. cluster: failover, relay killed (SIGKILL) -> the member\'s first message delivered through the other relay, default timers',
        `median ${ms(median(ok), 0)}, max ${ms(max, 0)} (runs ${r.failoverMs.map((x) => ms(x, 0)).join(', ')})${failed ? `; ${failed} not within ${FAILOVER_LIMIT_MS / 1000} s` : ''}`,
        '',
        failed ? false : null,
      ),
    ],
    data: r,
  };
}
