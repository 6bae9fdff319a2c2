// The relay's connection to NATS JetStream: which servers (`--cluster nats://HOST:PORT[,...]`), which
// credentials, and the errors a user can meet on the way (unreachable, refused, no JetStream), each as a
// ChatError with one clear sentence.
import { readFileSync } from 'node:fs';
import { AuthorizationError, connect, credsAuthenticator, type NatsConnection, type ConnectionOptions } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import { ChatError } from '../errors';
import { TypedEmitter } from '../emitter';

/** How the relay proves itself to NATS. Secrets come from a file or the environment, never a flag. */
export type ClusterAuth =
  | { kind: 'none' }
  | { kind: 'password'; user: string; pass: string }
  | { kind: 'token'; token: string }
  | { kind: 'creds'; file: string }; // a NATS .creds file (JWT + NKey seed), as `nsc` writes it

export interface ClusterConfig {
  /** nats:// (or tls://) URLs; the client fails over between them and learns the rest of the cluster. */
  servers: string[];
  auth?: ClusterAuth;
  /** Shown by the server in its connection list (`nats server report connections`). */
  name?: string;
  /** How long the first connection and each JetStream request may take. */
  timeoutMs?: number;
}

/**
 * The servers of `--cluster nats://HOST:PORT[,nats://HOST:PORT...]`. Credentials in a URL are refused:
 * a command line is visible to every user of the machine (`ps`), so they go in a file or the environment.
 */
export function parseClusterServers(spec: string): string[] {
  const parts = spec.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new ChatError('BAD_OPTION', 'Give the NATS servers as nats://HOST:PORT, separated by commas.');
  return parts.map((part) => {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw new ChatError('BAD_OPTION', `${part} is not a NATS server address: use nats://HOST:PORT, for example nats://127.0.0.1:4222.`);
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:') {
      throw new ChatError('BAD_OPTION', `${part} is not a NATS server address: it must start with nats:// (or tls://).`);
    }
    if (url.username || url.password) {
      throw new ChatError('BAD_OPTION', `Put the NATS credentials for ${url.host} in a creds file or the environment, not in the address: a command line is visible to every user of this machine.`);
    }
    if (!url.hostname || !url.port || (url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
      throw new ChatError('BAD_OPTION', `${part} is not a NATS server address: use nats://HOST:PORT, for example nats://127.0.0.1:4222.`);
    }
    return `${url.protocol}//${url.host}`;
  });
}

function authOptions(auth: ClusterAuth): Partial<ConnectionOptions> {
  switch (auth.kind) {
    case 'none':
      return {};
    case 'password':
      return { user: auth.user, pass: auth.pass };
    case 'token':
      return { token: auth.token };
    case 'creds': {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(auth.file);
      } catch (e) {
        throw new ChatError('BAD_OPTION', `Cannot read the NATS creds file ${auth.file}: ${(e as Error).message}`);
      }
      return { authenticator: credsAuthenticator(bytes) };
    }
    default: {
      const _exhaustive: never = auth;
      return _exhaustive;
    }
  }
}

export type ClusterStatus = 'connected' | 'disconnected' | 'reconnecting' | 'closed';

interface ClusterEvents {
  status: [status: ClusterStatus, server: string];
  warning: [error: Error];
}

/** One NATS connection with its JetStream and KV handles; what a room log and its presence share. */
export class Cluster extends TypedEmitter<ClusterEvents> {
  private disposed = false;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly kvm: Kvm,
  ) {
    super();
    void this.watchStatus();
  }

  static async connect(cfg: ClusterConfig): Promise<Cluster> {
    const timeout = cfg.timeoutMs ?? 5000;
    const where = cfg.servers.join(', ');
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: cfg.servers,
        name: cfg.name ?? 'whatsudp relay',
        timeout,
        // A relay outlives a NATS restart: it keeps trying, every 250 ms, across all known servers.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        ...authOptions(cfg.auth ?? { kind: 'none' }),
      });
    } catch (e) {
      if (e instanceof ChatError) throw e;
      if (e instanceof AuthorizationError) {
        throw new ChatError('REFUSED', `The NATS server at ${where} refused the credentials (${e.message}).`);
      }
      throw new ChatError('UNREACHABLE', `No NATS server answered at ${where} (${(e as Error).message}).`);
    }
    try {
      const jsm = await jetstreamManager(nc, { timeout });
      const js = jetstream(nc, { timeout });
      return new Cluster(nc, js, jsm, new Kvm(js));
    } catch (e) {
      await nc.close().catch(() => undefined);
      // The library does not export JetStreamNotEnabled from its door; its name is stable.
      if ((e as Error).name === 'JetStreamNotEnabled') {
        throw new ChatError('REFUSED', `The NATS server at ${where} has no JetStream for this account: start it with -js (or jetstream {} in its config).`);
      }
      throw new ChatError('UNREACHABLE', `JetStream at ${where} did not answer (${(e as Error).message}).`);
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.emit('status', 'disconnected', s.server);
          break;
        case 'reconnecting':
          this.emit('status', 'reconnecting', '');
          break;
        case 'reconnect':
          this.emit('status', 'connected', s.server);
          break;
        case 'error':
          this.emit('warning', s.error);
          break;
        default:
          break; // pings, cluster updates, slow consumers of others: nothing the relay acts on
      }
    }
  }

  /** A KV bucket: made with `opts`, or, when another relay made it first, opened as it is (its settings
   * rule). When neither works, the error is the making's: it says why (for example, replicas 3 on a single
   * server), where the opening's would only say the bucket is not there. */
  async bucket(name: string, opts: Partial<KvOptions>): Promise<KV> {
    try {
      return await this.kvm.create(name, opts);
    } catch (made) {
      try {
        const kv = await this.kvm.open(name);
        await kv.status(); // open() does not look: this does
        return kv;
      } catch {
        throw made;
      }
    }
  }

  get isClosed(): boolean {
    return this.disposed || this.nc.isClosed();
  }

  /** Closes the connection; what is being published is flushed first. Safe twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.nc.drain().catch(() => this.nc.close());
    this.emit('status', 'closed', '');
    this.removeAllListeners();
  }
}
