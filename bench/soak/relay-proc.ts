// The relay under soak, as people run it: `node dist/cli.js relay ...` in a process of its own, so it
// can be killed with SIGKILL and started again on the same store, and its memory read from /proc.
// Every process is stopped by its own pid, also when the soak itself fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Address } from '../../src/chat/types';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) kill(c.pid, 'SIGKILL');
});

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

const ADDRESS_LINE = /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\]):(\d+)$/;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class RelayProcess {
  /** The last lines it wrote to stderr, for a report when something went wrong. */
  readonly stderr: string[] = [];
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;

  private constructor(
    private readonly proc: ChildProcess,
    readonly address: Address,
  ) {
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        this.exit = { code, signal };
        live.delete(proc);
        resolve(this.exit);
      };
      if (proc.exitCode !== null || proc.signalCode !== null) done(proc.exitCode, proc.signalCode);
      else proc.once('exit', done);
    });
    keepLines(proc, this.stderr);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** undefined while it runs. */
  get exitStatus(): Exit | undefined {
    return this.exit;
  }

  /** Starts `node CLI relay ARGS` and resolves once it printed the address it listens on. */
  static start(cli: string, args: string[], timeoutMs = 10_000): Promise<RelayProcess> {
    const proc = spawn(process.execPath, [cli, 'relay', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    live.add(proc);
    const early: string[] = [];
    keepLines(proc, early);
    return new Promise((resolve, reject) => {
      let out = '';
      const fail = (why: string) => {
        clearTimeout(timer);
        if (proc.pid !== undefined) kill(proc.pid, 'SIGKILL');
        reject(new Error(`the relay did not start (${why}): ${early.slice(-5).join(' / ')}`));
      };
      const timer = setTimeout(() => fail(`no address line within ${timeoutMs} ms`), timeoutMs);
      const onError = (err: Error) => fail(err.message);
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited with ${signal ?? code}`);
      proc.once('error', onError);
      proc.once('exit', onExit);
      proc.stdout?.setEncoding('utf8');
      proc.stdout?.on('data', function onData(chunk: string) {
        out += chunk;
        const line = out.split('\n').find((l) => ADDRESS_LINE.test(l.trim()));
        if (!line) return;
        const m = ADDRESS_LINE.exec(line.trim())!;
        clearTimeout(timer);
        proc.stdout?.off('data', onData);
        proc.stdout?.resume(); // the relay is quiet without --log; whatever comes is not ours to keep
        proc.off('exit', onExit);
        proc.off('error', onError);
        proc.on('error', () => undefined); // a failed kill of a process already gone
        const relay = new RelayProcess(proc, { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) });
        relay.stderr.push(...early);
        resolve(relay);
      });
    });
  }

  /** Resident and peak resident memory in bytes (VmRSS, VmHWM of /proc/PID/status); undefined once gone. */
  memory(): { rss: number; hwm: number } | undefined {
    if (this.exit) return undefined;
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
      return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
    } catch {
      return undefined;
    }
  }

  /** SIGKILL, as a crash or an OOM killer would: no chance to flush or close anything. */
  async kill9(): Promise<Exit> {
    if (!this.exit) kill(this.pid, 'SIGKILL');
    return this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not gone within 3 s. */
  async stop(): Promise<Exit> {
    if (this.exit) return this.exit;
    kill(this.pid, 'SIGTERM');
    const timer = setTimeout(() => kill(this.pid, 'SIGKILL'), 3000);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

function keepLines(proc: ChildProcess, into: string[]): void {
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => {
    into.push(...chunk.split('\n').filter(Boolean));
    if (into.length > 200) into.splice(0, into.length - 100);
  });
}

/** Bytes of every file under `dir` (the store's size on disk, as its files say). */
export function dirBytes(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    try {
      if (e.isDirectory()) total += dirBytes(p);
      else if (e.isFile()) total += statSync(p).size;
    } catch {
      // removed while we looked (a segment compacted away)
    }
  }
  return total;
}
