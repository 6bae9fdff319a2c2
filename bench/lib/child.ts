// The load generator's side of a helper process (a relay, the bare baselines, the lossy proxy): one
// process per role so that the code under test never shares an event loop or a core's time slice
// with the load. Requests carry an id and a timeout; every process is stopped by its own pid.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.mjs');
const live = new Set<ChildProcess>();
/** Node flags for every child of this run (`--profile` adds --cpu-prof here). */
export const childDefaults: { nodeArgs: string[] } = { nodeArgs: [] };

// Whatever happens to the benchmark, its helpers go with it.
process.on('exit', () => {
  for (const c of live) if (c.pid !== undefined) kill(c.pid, 'SIGKILL');
});

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export interface ChildOptions {
  /** Runs the child through this command first, e.g. ['ip', 'netns', 'exec', 'wu-bench-1234']. */
  prefix?: string[];
  /** Extra node flags, e.g. --cpu-prof. --expose-gc is always given (memory is read after a GC). */
  nodeArgs?: string[];
  startTimeoutMs?: number;
}

interface Reply {
  id?: number;
  ok?: boolean;
  result?: unknown;
  error?: string;
  ready?: boolean;
  info?: unknown;
}

export class Child<Info = unknown> {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private exited = false;

  private constructor(
    readonly role: string,
    private readonly proc: ChildProcess,
    readonly info: Info,
  ) {
    proc.on('message', (m: Reply) => {
      const w = m.id !== undefined ? this.waiting.get(m.id) : undefined;
      if (!w) return;
      this.waiting.delete(m.id!);
      clearTimeout(w.timer);
      if (m.ok) w.resolve(m.result);
      else w.reject(new Error(`${role}: ${m.error}`));
    });
    proc.on('exit', () => {
      this.exited = true;
      live.delete(proc);
      for (const [, w] of this.waiting) {
        clearTimeout(w.timer);
        w.reject(new Error(`${role} exited`));
      }
      this.waiting.clear();
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Starts `role` with `opts` and resolves once it says it is ready (with what it reports). */
  static start<Info = unknown>(role: string, opts: unknown = {}, o: ChildOptions = {}): Promise<Child<Info>> {
    const args = ['--expose-gc', ...childDefaults.nodeArgs, ...(o.nodeArgs ?? []), CHILD_SCRIPT, role, JSON.stringify(opts)];
    const [cmd, ...pre] = o.prefix?.length ? [...o.prefix, process.execPath] : [process.execPath];
    const proc = spawn(cmd, [...pre, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    live.add(proc);
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        if (proc.pid !== undefined) kill(proc.pid, 'SIGKILL');
        reject(new Error(`${role} did not start: ${why}`));
      };
      const timer = setTimeout(() => fail('no ready message in time'), o.startTimeoutMs ?? 15_000);
      proc.once('error', (err) => fail(err.message));
      proc.once('exit', (code, signal) => fail(`exited (${signal ?? code})`));
      proc.on('message', function ready(m: Reply) {
        if (m.ready) {
          clearTimeout(timer);
          proc.off('message', ready);
          proc.removeAllListeners('exit');
          proc.removeAllListeners('error');
          resolve(new Child<Info>(role, proc, m.info as Info));
        } else if (m.error && m.id === undefined) {
          fail(m.error);
        }
      });
    });
  }

  request<T = unknown>(cmd: string, args: unknown = {}, timeoutMs = 15_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.role} has exited`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.role}: no answer to ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.proc.send({ id, cmd, args });
    });
  }

  /** Asks the child to close what it holds and exit; kills it by pid if it does not within 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    await this.request('close', {}, 5_000).catch(() => undefined);
    const timer = setTimeout(() => kill(this.pid, 'SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}

/** Runs `fn` with the children it starts, and stops them all afterwards, also when `fn` throws. */
export async function withChildren<T>(fn: (start: typeof Child.start) => Promise<T>): Promise<T> {
  const started: Child[] = [];
  const start = async <I>(role: string, opts?: unknown, o?: ChildOptions) => {
    const c = await Child.start<I>(role, opts, o);
    started.push(c);
    return c;
  };
  try {
    return await fn(start);
  } finally {
    await Promise.all(started.map((c) => c.stop()));
  }
}
