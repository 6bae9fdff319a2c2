// The soak's side of the hostile member's process: start it, wait until its members are in, stop it
// and collect what it did. Stopped by its own pid whatever happens.
import { fork, type ChildProcess } from 'node:child_process';
import type { HostileStats } from './hostile';
import type { HostileOptions } from './hostile-main';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) if (c.pid !== undefined) kill(c.pid);
});

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

interface Reply {
  ready?: boolean;
  error?: string;
  stats?: HostileStats;
}

export class HostileProcess {
  private stats: Promise<HostileStats | undefined>;

  private constructor(private readonly proc: ChildProcess) {
    this.stats = new Promise((resolve) => {
      proc.on('message', (m: Reply) => m.stats && resolve(m.stats));
      proc.once('exit', () => resolve(undefined));
    });
  }

  /** Starts `node SCRIPT` against `relay` from `host`; resolves once its role members joined (or tried). */
  static start(script: string, opts: HostileOptions): Promise<HostileProcess> {
    const proc = fork(script, [JSON.stringify(opts)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' } });
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        if (proc.pid !== undefined) kill(proc.pid);
        reject(new Error(`the hostile member did not start: ${why}`));
      };
      const timer = setTimeout(() => fail('not ready within 10 s'), 10_000);
      const onError = (err: Error) => fail(err.message);
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited with ${signal ?? code}`);
      proc.once('error', onError);
      proc.once('exit', onExit);
      proc.on('message', function ready(m: Reply) {
        if (m.error) return fail(m.error);
        if (!m.ready) return;
        clearTimeout(timer);
        proc.off('message', ready);
        proc.off('error', onError);
        proc.off('exit', onExit);
        proc.on('error', () => undefined); // from here on, a death shows as missing stats
        resolve(new HostileProcess(proc));
      });
    });
  }

  /** Tells it to stop and resolves with its stats (undefined if it died first); kills it after 5 s. */
  async stop(): Promise<HostileStats | undefined> {
    if (this.proc.connected) this.proc.send({ cmd: 'stop' });
    const timer = setTimeout(() => this.proc.pid !== undefined && kill(this.proc.pid), 5000);
    const stats = await this.stats;
    clearTimeout(timer);
    return stats;
  }
}
