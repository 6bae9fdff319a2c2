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
import { round, type Summary } from './lib/stats';

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
}

export interface FilePair {
  up: Transfer;
  down: Transfer;
  /** The bytes fetched equal the bytes sent. */
  intact: boolean;
}

type ChatPhase = Summary & { sent: number; missing: number };

export interface FilesResult {
  clean: FilePair[];
  lossy: FilePair & { loss: number; dropped: { up: number; down: number } };
  chat: { quiet: ChatPhase[]; busy: ChatPhase[] };
}

async function timed<T>(what: string, t: { done: Promise<T>; cancel(): void }): Promise<{ value?: T; run: Transfer }> {
  const t0 = performance.now();
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
    return { value, run: { ms: round(ms, 1), mbPerSecond: round(FILE_BYTES / 1e6 / (ms / 1000), 2), ok: true } };
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
async function cleanRuns(rounds: number, quietMs: number): Promise<Pick<FilesResult, 'clean' | 'chat'>> {
  return withChildren(async (start) => {
    const relay = await start<{ address: Address }>('relay', { host: '127.0.0.1', port: 0 });
    const chat = await start('chat-pair', { server: relay.info.address });
    const [a, b] = await pair(relay.info.address);
    try {
      const out: Pick<FilesResult, 'clean' | 'chat'> = { clean: [], chat: { quiet: [], busy: [] } };
      const phaseTimeout = 2 * TRANSFER_LIMIT_MS + 30_000;
      for (let r = 0; r < rounds; r++) {
        out.chat.quiet.push(await chat.request<ChatPhase>('phase', { rate: CHAT_RATE, ms: quietMs }, phaseTimeout));
        const bytes = randomBytes(FILE_BYTES);
        const talking = chat.request<ChatPhase>('phase', { rate: CHAT_RATE, ms: 2 * TRANSFER_LIMIT_MS }, phaseTimeout);
        const files = await upThenDown(a, b, bytes);
        await chat.request('stop');
        out.chat.busy.push(await talking);
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
