// One soak run: a relay (the CLI, on a store), a room of honest members chatting at a steady rate,
// optionally the hostile member doing everything at once, and a kill -9 plus restart halfway. What a
// user would notice is collected; checks.ts turns it into pass or FAILED.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RELAY_LIMITS } from '../../src/chat/limits';
import { sleep, summarize, waitFor, type Summary } from '../lib/stats';
import { HonestRoom } from './honest';
import { hostileRates, type HostileRates, type HostileStats } from './hostile';
import { HostileProcess } from './hostile-proc';
import { dirBytes, RelayProcess, type Exit } from './relay-proc';
import { checkAcknowledged, type RestartCheck } from './verify';

export const HOSTILE_HOST = '127.0.0.66';
const VERIFIER_HOST = '127.0.0.99';
/** After the restart, members take up to their capped probe timeout (1 s) to notice and rejoin. */
const RESTART_WINDOW_MS = 3000;

/** The relay's memory and disk caps for the run, small enough that the soak reaches them. */
export interface Caps {
  history: number;
  historyBytes: number;
  pendingBytes: number;
}

export interface SoakOptions {
  /** dist/cli.js: the relay runs as `node CLI relay ...`. */
  cli: string;
  /** The hostile's entry (hostile-main); without it the run has honest members only. */
  hostileScript?: string;
  seconds: number;
  members: number;
  /** Messages a second from each honest member. */
  perSecond: number;
  caps: Caps;
  /** The most the honest messages may take to arrive after the last was sent. */
  drainMs: number;
  log?: (line: string) => void;
}

export interface SoakRun {
  hostile: boolean;
  seconds: number;
  relayArgs: string[];
  memberRate: number;
  hostileRates?: HostileRates;
  caps: Caps & { storeBytes: number; storeBytesFlag: boolean; rssBytes: number; rssBase: number; rssRule: string };
  honest: {
    members: number;
    perSecond: number;
    sent: number;
    /** Deliveries of honest messages at honest members, and how many there should be. */
    delivered: number;
    expected: number;
    duplicates: number;
    outOfOrder: number;
    lost: number;
    undelivered: number;
    reconnects: number;
  };
  /** Latency of honest messages (send to delivery, at every honest member). */
  latency: { all: Summary; steady: Summary };
  restart: RestartCheck & { killedAfterMs: number; downMs: number };
  /** Hostile messages delivered more than once at an honest member (a retransmission sequenced twice),
   * by the hostile role (or client id) that sent them. */
  sequencedTwice: { count: number; by: Record<string, number> };
  memory: { peakRss: number; samples: number };
  disk: { peakBytes: number; endBytes: number };
  /** How each relay process ended: the first by our SIGKILL, the second by our SIGTERM. */
  relayExits: { first?: Exit; second?: Exit; crashed: string[] };
  hostileStats?: HostileStats;
}

/** The flags `relay --help` lists, so the soak passes only what this relay understands. */
export function relayFlags(cli: string): Set<string> {
  const r = spawnSync(process.execPath, [cli, 'relay', '--help'], { encoding: 'utf8', timeout: 10_000 });
  return new Set([...(r.stdout ?? '').matchAll(/--([a-z][a-z-]+)/g)].map((m) => m[1]));
}

const MiB = 1024 * 1024;
/** RSS allowed over what the relay had with the room joined: twice the byte caps (a JS string and
 * the datagrams encoded from it) and 32 MiB for the heap's own growth between collections. */
const rssRule = (caps: Caps) => ({ bytes: 2 * (caps.historyBytes + caps.pendingBytes) + 32 * MiB, rule: 'RSS with the room joined + 2 x (history-bytes + pending-bytes) + 32 MiB' });

export async function runSoak(o: SoakOptions): Promise<SoakRun> {
  const log = o.log ?? (() => undefined);
  const store = mkdtempSync(path.join(tmpdir(), 'whatsudp-soak-'));
  const flags = relayFlags(o.cli);
  const storeBytes = 2 * o.caps.historyBytes;
  const limits = ['--history', String(o.caps.history), '--history-bytes', String(o.caps.historyBytes), '--pending-bytes', String(o.caps.pendingBytes)];
  if (flags.has('store-bytes')) limits.push('--store-bytes', String(storeBytes));
  // The hostile member's seed lines must reach the room (and its store) to test anything.
  if (flags.has('legacy-bridge')) limits.push('--legacy-bridge');
  const args = ['--host', '127.0.0.1', '--port', '0', '--store', store, ...limits];
  const crashed: string[] = [];
  let relay = await RelayProcess.start(o.cli, args);
  const first = relay;
  let second: RelayProcess | undefined;
  let room: HonestRoom | undefined;
  let hostile: HostileProcess | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const server = relay.address;
    room = await HonestRoom.open(server, o.members);
    room.say(room.members[0], 'soak: the run starts');
    if (!(await waitFor(() => room!.complete(), 10_000))) throw new Error('the first message did not reach every honest member within 10 s');
    const rssBase = relay.memory()?.rss ?? NaN;
    const rss = rssRule(o.caps);
    const rates = hostileRates(RELAY_LIMITS.memberMessagesPerSecond, RELAY_LIMITS.addressPacketsPerSecond);
    if (o.hostileScript) {
      hostile = await HostileProcess.start(o.hostileScript, { relay: server, host: HOSTILE_HOST, rates, maxSeconds: o.seconds + 30 });
      log(`hostile member started on ${HOSTILE_HOST}`);
    }
    let peakRss = 0;
    let peakDisk = 0;
    let samples = 0;
    const sample = () => {
      const m = relay.memory();
      // A process on its way out has no Vm* lines left: NaN, which must not poison the peak.
      for (const v of m ? [m.rss, m.hwm] : []) if (Number.isFinite(v)) peakRss = Math.max(peakRss, v);
      peakDisk = Math.max(peakDisk, dirBytes(store));
      samples++;
    };
    sampler = setInterval(sample, 200);

    const t0 = performance.now();
    room.start(o.perSecond);
    await sleep((o.seconds * 1000) / 2);
    const roomPoint = room.resumePoint();
    const acked = room.allSent().filter((s) => s.seq !== undefined && s.text !== 'soak: the run starts');
    sample();
    const killedAt = performance.now();
    const firstExit = first.exitStatus;
    if (firstExit) crashed.push(`the relay had exited (${firstExit.signal ?? firstExit.code}) before the kill: ${first.stderr.slice(-3).join(' / ')}`);
    await relay.kill9();
    log(`relay killed with SIGKILL after ${((killedAt - t0) / 1000).toFixed(1)} s, ${acked.length} honest messages acknowledged`);
    relay = second = await RelayProcess.start(o.cli, [...args.slice(0, 2), '--port', String(server.port), ...args.slice(4)]);
    const restartedAt = performance.now();
    log(`restarted in ${(restartedAt - killedAt).toFixed(0)} ms`);
    // The verifier pulls while the room goes on, and may take until the drain is over.
    const endsAt = t0 + o.seconds * 1000;
    const verifying = roomPoint
      ? checkAcknowledged(server, roomPoint.roomId, acked, VERIFIER_HOST, endsAt + o.drainMs - performance.now())
      : Promise.resolve({ acknowledged: acked.length, missing: acked.length, examples: ['no room to resume'], gone: 0, ms: 0, complete: false });
    await sleep(Math.max(0, endsAt - performance.now()));
    room.stop();
    const hostileStats = await hostile?.stop();
    hostile = undefined;
    await waitFor(() => room!.complete(), o.drainMs, 20);
    const restart = await verifying;
    log(`${restart.acknowledged - restart.missing} of ${restart.acknowledged} acknowledged messages given back after the restart`);
    const undelivered = (await Promise.all(room.members.map((h) => h.client.flush(1000)))).reduce((n, p) => n + p.length, 0);
    clearInterval(sampler);
    sample();
    if (second.exitStatus) crashed.push(`the restarted relay exited (${second.exitStatus.signal ?? second.exitStatus.code}): ${second.stderr.slice(-3).join(' / ')}`);

    const sent = room.allSent().length;
    const h = room.members;
    const steady = room.latency.filter((_, i) => room!.sentAt[i] < killedAt || room!.sentAt[i] > restartedAt + RESTART_WINDOW_MS);
    return {
      hostile: o.hostileScript !== undefined,
      seconds: o.seconds,
      relayArgs: args.map((a) => (a === store ? 'DIR' : a)),
      memberRate: RELAY_LIMITS.memberMessagesPerSecond,
      hostileRates: o.hostileScript ? rates : undefined,
      caps: { ...o.caps, storeBytes, storeBytesFlag: flags.has('store-bytes'), rssBytes: rssBase + rss.bytes, rssBase, rssRule: rss.rule },
      honest: {
        members: h.length,
        perSecond: o.perSecond,
        sent,
        delivered: h.reduce((n, x) => n + x.got.size, 0),
        expected: sent * h.length,
        duplicates: h.reduce((n, x) => n + [...x.got.values()].filter((c) => c > 1).length, 0),
        outOfOrder: h.reduce((n, x) => n + x.outOfOrder, 0),
        lost: h.reduce((n, x) => n + x.lost, 0),
        undelivered,
        reconnects: h.reduce((n, x) => n + x.reconnects, 0),
      },
      latency: { all: summarize(room.latency), steady: summarize(steady) },
      restart: { ...restart, killedAfterMs: killedAt - t0, downMs: restartedAt - killedAt },
      sequencedTwice: twice(room, hostileStats?.ids ?? {}),
      memory: { peakRss, samples },
      disk: { peakBytes: peakDisk, endBytes: dirBytes(store) },
      relayExits: { first: await first.exited, second: await second.stop(), crashed },
      hostileStats,
    };
  } finally {
    clearInterval(sampler);
    await hostile?.stop();
    await room?.close();
    await relay.stop();
    await first.stop();
    rmSync(store, { recursive: true, force: true });
  }
}

/** (sender, msgId) pairs that some honest member delivered more than once, counted by sender. */
function twice(room: HonestRoom, names: Record<string, string>): SoakRun['sequencedTwice'] {
  const keys = new Set<string>();
  for (const h of room.members) for (const [k, n] of h.others) if (n > 1) keys.add(k);
  const by: Record<string, number> = {};
  for (const k of keys) {
    const id = k.split(':')[0];
    const who = names[id] ?? id;
    by[who] = (by[who] ?? 0) + 1;
  }
  return { count: keys.size, by };
}
