// Measure 12 (issue 14, files through the relay). A relay with its default limits in its own process;
// a sender and a receiver (real ChatClients) in the load generator: a 16 MiB file of random bytes up
// (sendFile: sealed, uploaded with congestion control, then named by a kind-15 message), then down
// (fetchFile: every chunk and the SHA-256 checked), compared byte for byte. (a) on loopback, no loss;
// (b) through the lossy proxy at 10% loss both ways; (c) the chat's latency in the same room while the
// transfer runs and while the room is quiet, alternating in the same run, from a chat pair in a process of
// its own (so it is the relay's event loop that is measured, not the load generator's sealing chunks).
import { randomBytes } from 'node:crypto';
import { ChatClient } from '../src/chat/client/client';
import type { Address } from '../src/chat/types';
import { withChildren } from './lib/child';
import { ms, num, pct, row, type Row } from './lib/report';
import { median, round, summarize, type Summary } from './lib/stats';

export const FILE_BYTES = 16 * 1024 * 1024;
/** A transfer that has not finished by then is cancelled and reported as such. */
const TRANSFER_LIMIT_MS = 120_000;
const CHAT_RATE = 20;

export interface Transfer {
  ms: number;
  /** 10^6 bytes per second of plaintext. */
  mbPerSecond: number;
  ok: boolean;
  error?: string;
  /** CPU of the load generator (both file clients' process) over the transfer, share of one core. */
  clientCpu?: number;
}

export interface FilePair {
  up: Transfer;
  down: Transfer;
  /** The bytes fetched equal the bytes sent. */
  intact: boolean;
}

type ChatPhase = Summary & { sent: number; missing: number; /** the relay's share: a chat datagram's arrival to its fan-out sent */ relayP99: number };

export interface FilesResult {
  clean: FilePair[];
  lossy: FilePair & { loss: number; dropped: { up: number; down: number } };
  chat: { quiet: ChatPhase[]; busy: ChatPhase[] };
  /** The relay's CPU (share of one core) during each transfer up and down. */
  relayCpu: number[];
}

async function timed<T>(what: string, t: { done: Promise<T>; cancel(): void }): Promise<{ value?: T; run: Transfer }> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      t.cancel();
      reject(new Error(`${what} not done after ${TRANSFER_LIMIT_MS / 1000} s`));
    }, TRANSFER_LIMIT_MS);
  });
  try {
    const value = await Promise.race([t.done, limit]);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const clientCpu = round((cpu.user + cpu.system) / 1000 / ms, 2);
    return { value, run: { ms: round(ms, 1), mbPerSecond: round(FILE_BYTES / 1e6 / (ms / 1000), 2), ok: true, clientCpu } };
  } catch (err) {
    return { run: { ms: round(performance.now() - t0, 1), mbPerSecond: NaN, ok: false, error: (err as Error).message } };
  } finally {
    clearTimeout(timer);
  }
}

/** One file up from `a`, then down to `b`. */
async function upThenDown(a: ChatClient, b: ChatClient, bytes: Buffer): Promise<FilePair> {
  const up = await timed('upload', a.sendFile({ bytes, name: 'bench.bin' }));
  const info = up.value && up.value.body.kind === 'file' ? up.value.body.file : undefined;
  if (!info) return { up: up.run, down: { ms: NaN, mbPerSecond: NaN, ok: false, error: 'no upload' }, intact: false };
  const down = await timed('download', b.fetchFile(info));
  return { up: up.run, down: down.run, intact: down.value !== undefined && Buffer.compare(down.value, bytes) === 0 };
}

async function pair(server: Address): Promise<[ChatClient, ChatClient]> {
  const a = new ChatClient({ server, name: 'file-a', wantsRoster: false });
  const b = new ChatClient({ server, name: 'file-b', wantsRoster: false });
  await a.start();
  await b.start();
  return [a, b];
}

/** (a) and (c): `rounds` of a quiet chat phase, then the same chat during a file up and down. */
async function cleanRuns(rounds: number, quietMs: number): Promise<Omit<FilesResult, 'lossy'>> {
  return withChildren(async (start) => {
    const relay = await start<{ address: Address }>('relay', { host: '127.0.0.1', port: 0 });
    const chat = await start('chat-pair', { server: relay.info.address });
    const [a, b] = await pair(relay.info.address);
    try {
      const out: Omit<FilesResult, 'lossy'> = { clean: [], chat: { quiet: [], busy: [] }, relayCpu: [] };
      const phaseTimeout = 2 * TRANSFER_LIMIT_MS + 30_000;
      await relay.request('fanouts'); // starts timing the relay's share of each chat message
      const withRelayShare = async (p: Promise<ChatPhase>): Promise<ChatPhase> => {
        const phase = await p;
        const fanouts = await relay.request<number[]>('fanouts');
        return { ...phase, relayP99: round(summarize(fanouts).p99, 3) };
      };
      for (let r = 0; r < rounds; r++) {
        out.chat.quiet.push(await withRelayShare(chat.request<ChatPhase>('phase', { rate: CHAT_RATE, ms: quietMs }, phaseTimeout)));
        const bytes = randomBytes(FILE_BYTES);
        const talking = chat.request<ChatPhase>('phase', { rate: CHAT_RATE, ms: 2 * TRANSFER_LIMIT_MS }, phaseTimeout);
        await relay.request('cpuStart');
        const files = await upThenDown(a, b, bytes);
        out.relayCpu.push(round((await relay.request<{ coreShare: number }>('cpuStop')).coreShare, 3));
        await chat.request('stop');
        out.chat.busy.push(await withRelayShare(talking));
        out.clean.push(files);
      }
      return out;
    } finally {
      await a.close();
      await b.close();
    }
  });
}

/** (b): the same through the proxy, which drops `loss` of the datagrams both ways once both have joined. */
async function lossyRun(loss: number): Promise<FilesResult['lossy']> {
  return withChildren(async (start) => {
    const relay = await start<{ address: Address }>('relay', { host: '127.0.0.1', port: 0 });
    const proxy = await start<{ address: Address }>('proxy', { relay: relay.info.address, seed: 1400 });
    const [a, b] = await pair(proxy.info.address);
    try {
      await proxy.request('reset');
      await proxy.request('loss', { loss });
      const files = await upThenDown(a, b, randomBytes(FILE_BYTES));
      const px = await proxy.request<{ droppedUp: number; droppedDown: number }>('stats');
      await proxy.request('loss', { loss: 0 }); // so Leave gets through
      return { ...files, loss, dropped: { up: px.droppedUp, down: px.droppedDown } };
    } finally {
      await a.close();
      await b.close();
    }
  });
}

export async function files(rounds: number, quietMs: number, loss = 0.1): Promise<FilesResult> {
  const clean = await cleanRuns(rounds, quietMs);
  const lossy = await lossyRun(loss);
  return { ...clean, lossy };
}

/** The rows of measure 12 in the table, and its raw figures. */
export async function filesSection(quick: boolean): Promise<{ rows: Row[]; data: FilesResult }> {
  // Issue 14: absolute targets only (a file's bytes have no like-for-like chat baseline); the chat's
  // p99 during a transfer is compared with the same room quiet, phases alternating in this run.
  const r = await files(quick ? 1 : 5, quick ? 2000 : 4000);
  const mib = FILE_BYTES / 2 ** 20;
  const medOf = (xs: number[]) => median(xs.map((x) => (Number.isFinite(x) ? x : -1)));
  const way = (w: 'up' | 'down') => {
    const runs = r.clean.map((p) => p[w]);
    const rate = medOf(runs.map((x) => x.mbPerSecond));
    const failed = runs.filter((x) => !x.ok).map((x) => x.error);
    return row(
      `12. files: ${mib} MiB ${w === 'up' ? 'up (sendFile until the relay has it all)' : 'down (fetchFile, checked)'}, loopback, no loss`,
      `${rate.toFixed(1)} MB/s (median of ${runs.length}: ${runs.map((x) => `${x.mbPerSecond} MB/s in ${ms(x.ms, 0)}`).join(', ')}; the clients' process ${runs.map((x) => pct(x.clientCpu ?? NaN, 0)).join(', ')} of a core)${failed.length ? `; FAILED: ${failed.join('; ')}` : ''}; intact ${r.clean.filter((p) => p.intact).length}/${r.clean.length}`,
      '>= 8 MB/s',
      rate >= 8 && failed.length === 0 && r.clean.every((p) => p.intact),
    );
  };
  const l = r.lossy;
  const lw = (x: typeof l.up) => (x.ok ? `${ms(x.ms, 0)} (${x.mbPerSecond} MB/s)` : `FAILED after ${ms(x.ms, 0)}: ${x.error}`);
  const p99 = (xs: typeof r.chat.quiet) => medOf(xs.map((x) => x.p99));
  const [quiet, busy] = [p99(r.chat.quiet), p99(r.chat.busy)];
  const missing = [...r.chat.quiet, ...r.chat.busy].reduce((n, x) => n + x.missing, 0);
  const runs = (xs: typeof r.chat.quiet) => xs.map((x) => ms(x.p99, 2)).join(', ');
  const relayShare = (xs: typeof r.chat.quiet) => medOf(xs.map((x) => x.relayP99));
  const pairs = r.chat.busy.map((b, i) => `${(b.p99 / r.chat.quiet[i].p99).toFixed(2)}x`).join(', ');
  return {
    rows: [
      way('up'),
      way('down'),
      row(
        `12. files: ${mib} MiB at ${pct(l.loss, 0)} loss both ways, up then down`,
        `up ${lw(l.up)}, down ${lw(l.down)}; intact ${l.intact ? 'yes' : 'NO'} (${num(l.dropped.up)} datagrams dropped up, ${num(l.dropped.down)} down)`,
        'completes, intact',
        l.up.ok && l.down.ok && l.intact,
      ),
      row(`12. files: chat p99 in the same room, quiet (20 msg/s from a pair in its own process)`, `${ms(quiet, 2)} (runs ${runs(r.chat.quiet)})`),
      row(
        `12. files: chat p99 in the same room during a ${mib} MiB transfer up and down (ratio to quiet)`,
        `${ms(busy, 2)} (${(busy / quiet).toFixed(2)}x, medians; runs ${runs(r.chat.busy)}; round by round ${pairs}); relay's share p99 ${ms(relayShare(r.chat.busy), 3)} vs quiet ${ms(relayShare(r.chat.quiet), 3)}; relay CPU during the transfers ${r.relayCpu.map((x) => pct(x, 0)).join(', ')} of a core${missing ? `; ${missing} deliveries missing` : ''}`,
        'within 2x of quiet',
        busy <= 2 * quiet && missing === 0,
      ),
    ],
    data: r,
  };
}
