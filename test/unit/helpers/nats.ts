// Real nats-server processes for the cluster tests: one server or a 3-node JetStream cluster, each on
// 127.0.0.1, JetStream in a temporary folder, every wait bounded, every process stopped by its PID. Client
// ports are picked by the server itself (-1, read back from its ports file); a JetStream cluster needs
// every route configured up front, so its route ports are found free just before (and tried again, up
// to 3 times, if another process takes one in between).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type ConnectionOptions } from '@nats-io/transport-node';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';

export const INSTALL_HINT =
  'nats-server is not installed; the cluster tests need Debian\'s package (2.9.10): ' +
  'run `sudo bash scripts/setup-system.sh` or `sudo apt-get install -y --no-install-recommends nats-server`';

/** The nats-server binary, or an Error that says how to install it (the tests fail with it, never pass). */
export function natsServerBinary(): string {
  const chosen = process.env.WHATSUDP_NATS_SERVER; // another build of the server, e.g. a newer one to compare
  if (chosen) {
    if (existsSync(chosen)) return chosen;
    throw new Error(`WHATSUDP_NATS_SERVER=${chosen} does not exist. ${INSTALL_HINT}`);
  }
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    const bin = path.join(dir, 'nats-server');
    if (dir && existsSync(bin)) return bin;
  }
  throw new Error(INSTALL_HINT);
}

export type ServerAuth = { user: string; pass: string } | { token: string };

export interface NatsServer {
  readonly name: string;
  /** nats://127.0.0.1:PORT for clients. */
  readonly url: string;
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  readonly log: () => string;
}

const WAIT_MS = 15_000;

async function until<T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Ports { nats: string[] }

/** `n` TCP ports on 127.0.0.1 that were free a moment ago (all held at once, so they differ): nothing
 * listens on them now, which is also how a test names a NATS server that does not answer. */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
    }
    return servers.map((srv) => (srv.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  }
}

/** One or more nats-server processes in one temporary folder; stop() ends them all and removes it. */
export class NatsFixture {
  readonly servers: NatsServer[] = [];
  private readonly children = new Map<string, ChildProcess>();
  private readonly bin = natsServerBinary(); // first: without a server, no folder is made to leak
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'whatsudp-nats-'));
  private routes: string[] = [];

  private constructor(private readonly clustered: boolean, private readonly auth?: ServerAuth) {}

  /** One JetStream server. */
  static async single(auth?: ServerAuth): Promise<NatsFixture> {
    const f = new NatsFixture(false, auth);
    try {
      await f.start('n1');
      await f.ready();
      return f;
    } catch (e) {
      await f.stop();
      throw e;
    }
  }

  /** Three JetStream servers in one cluster, each routed to those started before it (gossip does the rest). */
  static async cluster(auth?: ServerAuth): Promise<NatsFixture> {
    for (let attempt = 1; ; attempt++) {
      const f = new NatsFixture(true, auth);
      try {
        f.routes = (await freePorts(3)).map((p) => `nats-route://127.0.0.1:${p}`);
        for (const name of ['n1', 'n2', 'n3']) await f.start(name);
        await f.ready();
        return f;
      } catch (e) {
        await f.stop();
        if (attempt === 3 || !/address already in use/i.test((e as Error).message)) throw e;
      }
    }
  }

  /**
   * Resolves once JetStream takes a stream of as many replicas as there are servers (a fresh cluster
   * first elects its meta leader and learns its peers), so a test's first stream is not refused.
   */
  async ready(ms = 20_000): Promise<void> {
    const opts: ConnectionOptions = { servers: this.urls, timeout: 2000 };
    if (this.auth && 'token' in this.auth) opts.token = this.auth.token;
    else if (this.auth) Object.assign(opts, { user: this.auth.user, pass: this.auth.pass });
    const nc = await connect(opts);
    try {
      let last: unknown;
      await until('JetStream to take a stream', ms, async () => {
        try {
          const jsm = await jetstreamManager(nc, { timeout: 2000 });
          await jsm.streams.add({ name: 'READY', subjects: ['ready.probe'], num_replicas: this.servers.length, storage: StorageType.Memory });
          await jsm.streams.delete('READY');
          return true;
        } catch (e) {
          last = e;
          return undefined;
        }
      }).catch((e: Error) => {
        throw new Error(`${e.message}: ${(last as Error | undefined)?.message ?? ''}`);
      });
    } finally {
      await nc.close();
    }
  }

  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  private async start(name: string): Promise<NatsServer> {
    const home = path.join(this.dir, name);
    mkdirSync(home, { recursive: true });
    const lines = [
      `server_name: ${name}`,
      'listen: "127.0.0.1:-1"',
      `jetstream { store_dir: ${JSON.stringify(path.join(home, 'js'))}, max_memory_store: 64MB, max_file_store: 1GB }`,
    ];
    if (this.auth && 'token' in this.auth) lines.push(`authorization { token: ${JSON.stringify(this.auth.token)} }`);
    else if (this.auth) lines.push(`authorization { user: ${JSON.stringify(this.auth.user)}, password: ${JSON.stringify(this.auth.pass)} }`);
    if (this.clustered) {
      const i = this.servers.length;
      const listen = this.routes[i].replace('nats-route://', '');
      lines.push(`cluster { name: wudp-test, listen: "${listen}", routes: [${this.routes.map((r) => JSON.stringify(r)).join(', ')}] }`);
    }
    const conf = path.join(home, 'server.conf');
    writeFileSync(conf, lines.join('\n') + '\n');
    const logFile = path.join(home, 'server.log');
    const child = spawn(this.bin, ['-c', conf, '--ports_file_dir', home, '-l', logFile], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let spawnError: Error | undefined;
    child.once('error', (e) => (spawnError = e));
    if (child.pid === undefined) await new Promise((r) => setImmediate(r));
    if (spawnError || child.pid === undefined) throw spawnError ?? new Error(`nats-server ${name} did not start`);
    this.children.set(name, child);
    const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
    const ports = await until<Ports>(`nats-server ${name} to listen`, WAIT_MS, () => {
      if (child.exitCode !== null) throw new Error(`nats-server ${name} exited (${child.exitCode}):\n${log()}`);
      const file = readdirSync(home).find((f) => f.endsWith('.ports'));
      if (!file) return undefined;
      try {
        return JSON.parse(readFileSync(path.join(home, file), 'utf8')) as Ports;
      } catch {
        return undefined; // written but not yet complete
      }
    });
    const server: NatsServer = { name, url: ports.nats[0], pid: child.pid, exited, log };
    this.servers.push(server);
    return server;
  }

  /** Ends one server at once (SIGKILL, by PID) and waits for it to be gone: a server dying, not leaving. */
  async kill(name: string): Promise<void> {
    const child = this.children.get(name);
    const server = this.servers.find((s) => s.name === name);
    if (!child || !server) throw new Error(`no server ${name}`);
    if (child.exitCode === null && child.signalCode === null) process.kill(server.pid, 'SIGKILL');
    await Promise.race([server.exited, new Promise((r) => setTimeout(r, 5000))]);
    this.children.delete(name);
  }

  /** Stops every server still running (SIGTERM, then SIGKILL after 5 s) and removes the folder. Safe twice. */
  async stop(): Promise<void> {
    const waits: Promise<unknown>[] = [];
    for (const [name, child] of this.children) {
      const server = this.servers.find((s) => s.name === name);
      if (!child.pid || child.exitCode !== null || child.signalCode !== null) continue;
      const gone = server?.exited ?? new Promise((r) => child.once('exit', r));
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        continue; // already gone
      }
      waits.push(Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]).then(() => {
        if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
      }));
    }
    await Promise.all(waits);
    this.children.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
