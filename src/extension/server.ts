// Start Server / Stop Server: a Relay inside the extension host, so a room needs nothing but
// VS Code. It lives as long as this window (its messages persist in global storage, so a restart
// keeps the room and its history).
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type Address, ChatError, checkPort, formatAddress, Relay } from '../chat';
import { Announcer } from '../chat/discovery';
import { relayKeyPath } from '../chat/identity';
import { displayFingerprint } from '../protocol/fingerprint';
import { Disposable } from './dispose';
import type { Notifier } from './notify';
import * as settings from './settings';

export interface ServerInfo {
  /** What a colleague types: a LAN address when shared, else 127.0.0.1:port. */
  address: string;
  shared: boolean;
  /** Where this window's own chat connects. */
  local: Address;
}

/** Addresses colleagues on the network can reach: non-internal IPv4 addresses of this machine. */
export function lanAddresses(port: number): string[] {
  const found: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) found.push(`${a.address}:${port}`);
  }
  return found;
}

export class Server extends Disposable {
  private relay: Relay | undefined;
  private announcer: Announcer | undefined;
  private _info: ServerInfo | undefined;
  private busy = false;

  /** `changed` is awaited after a start, so Start Server returns once the chat has joined. */
  constructor(
    private readonly storageDir: string,
    private readonly notifier: Notifier,
    private readonly changed: (info: ServerInfo | undefined) => Promise<void>,
  ) {
    super();
  }

  get info(): ServerInfo | undefined {
    return this._info;
  }

  /** The Start Server command. `shareChoice` skips the question when retrying with another port. */
  async start(shareChoice?: 'local' | 'network'): Promise<void> {
    if (this.relay && this._info) {
      this.notifier.info(`The WhatsUDP server is already running at ${this._info.address}.`, this.addressActions(this._info));
      return;
    }
    if (this.busy) return;
    this.busy = true;
    try {
      const share = shareChoice ?? (await this.askShare());
      if (!share) return;
      await this.launch(share);
    } finally {
      this.busy = false;
    }
  }

  private async askShare(): Promise<'local' | 'network' | undefined> {
    const setting = settings.share();
    if (setting !== 'ask') return setting;
    const picked = await vscode.window.showQuickPick(
      [
        { label: 'Only this machine', description: '127.0.0.1', detail: 'For trying it out, or several windows on this computer.', share: 'local' as const },
        { label: 'Share on my network', description: '0.0.0.0', detail: 'Colleagues on this network can join.', share: 'network' as const },
      ],
      { title: 'WhatsUDP: Start Server', placeHolder: 'Who can join the room?' },
    );
    return picked?.share;
  }

  private async launch(share: 'local' | 'network'): Promise<void> {
    let port: number;
    try {
      port = settings.serverPort();
    } catch (err) {
      this.notifier.error((err as Error).message, { 'Open Settings': () => settings.openSettings('whatsudp.server.port') });
      return;
    }
    const host = share === 'network' ? '0.0.0.0' : '127.0.0.1';
    try {
      const legacy = { legacyBridge: settings.legacyEnabled(), legacyBroadcast: settings.legacyBroadcast() };
      const store = path.join(this.storageDir, 'relay');
      // Its key beside its store, like the CLI's: a restart of VS Code never changes it for members.
      this.relay = await Relay.start({ host, port, store, keyFile: relayKeyPath(store), ...legacy });
    } catch (err) {
      this.startFailed(err, port, share);
      return;
    }
    const relay = this.relay;
    this.notifier.log.info(`Relay key fingerprint: ${displayFingerprint(relay.fingerprint)}`);
    relay.on('warning', (err) => this.notifier.log.debug(`Relay: ${err.message}`));
    relay.on('joined', (m) => this.notifier.log.info(`Relay: ${m.name} joined from ${formatAddress(m.address)}`));
    relay.on('left', (m) => this.notifier.log.info(`Relay: ${m.name} left (${m.reason})`));
    // A full disk is told once (not per refused message), and its end logged.
    relay.on('store', (s) => (s.writing ? this.notifier.log.info(`Relay: ${s.detail}`) : this.notifier.warn(`WhatsUDP server: ${s.detail}`)));
    for (const notice of relay.notices) this.notifier.warn(`WhatsUDP server: ${notice}`);
    // The bridge is off by default: whoever runs an original client against this relay is told once why
    // its lines go nowhere, and where to let them in.
    relay.on('legacyDropped', (from) =>
      this.notifier.warn(
        `WhatsUDP server: a client of the original Python chat (${formatAddress(from)}) tried to talk; its messages are dropped because whatsudp.legacy.enabled is off. Turn it on to let such clients in (their names are not verified).`,
        { 'Open Settings': () => settings.openSettings('whatsudp.legacy.enabled') },
      ),
    );

    const bound = relay.address().port;
    const local = { host: '127.0.0.1', port: bound };
    const lan = share === 'network' ? lanAddresses(bound) : [];
    const info: ServerInfo = { address: lan[0] ?? formatAddress(local), shared: share === 'network', local };
    this._info = info;
    this.notifier.log.info(`Relay listening on ${formatAddress(relay.address())}`);
    if (share === 'network' && settings.discoveryAnnounce()) await this.announce(relay);

    const lives = 'The room lives as long as this window.';
    if (share === 'local') {
      this.notifier.info(`WhatsUDP server running on ${formatAddress(local)}, for this machine only. ${lives}`);
    } else if (lan.length) {
      this.notifier.info(`WhatsUDP server running. Colleagues join at ${lan.join(' or ')} (their whatsudp.relayAddress). ${lives}`, this.addressActions(info));
    } else {
      this.notifier.warn(`WhatsUDP server running on port ${bound}, but this machine has no network address right now, so only it can join. ${lives}`);
    }
    await this.changed(info);
  }

  /** Lets colleagues find the shared relay ("Find Relays on My Network"). A relay that cannot be
   * announced still runs: its address works as before. */
  private async announce(relay: Relay): Promise<void> {
    try {
      const announcer = await Announcer.start({ relay: relay.address(), rooms: [{ name: 'main' }], fingerprint: relay.fingerprint });
      if (this.relay !== relay) {
        await announcer.close();
        return;
      }
      this.announcer = announcer;
      for (const notice of announcer.notices) this.notifier.log.info(`Discovery: ${notice}`);
      announcer.on('warning', (err) => this.notifier.log.debug(`Discovery: ${err.message}`));
      announcer.on('interfaces', (names) => this.notifier.log.info(`Discovery: announced on ${names.join(', ') || 'no interface now'}`));
      this.notifier.log.info(`Discovery: announced on ${announcer.interfaces().join(', ') || 'no interface yet'} (whatsudp.discovery.announce)`);
    } catch (err) {
      this.notifier.warn(`The WhatsUDP server runs, but colleagues cannot find it with "Find Relays": ${(err as Error).message}. They can still join at its address.`);
    }
  }

  private addressActions(info: ServerInfo): Record<string, () => unknown> {
    return { 'Copy Address': () => vscode.env.clipboard.writeText(info.address) };
  }

  private startFailed(err: unknown, port: number, share: 'local' | 'network'): void {
    if (err instanceof ChatError && err.code === 'PORT_IN_USE') {
      this.notifier.error(`Port ${port} is in use: another program (perhaps another WhatsUDP server) listens there. Choose another port (0 picks a free one).`, {
        'Use Another Port': () => this.useAnotherPort(port, share),
        'Open Settings': () => settings.openSettings('whatsudp.server.port'),
      });
    } else if (err instanceof ChatError && (err.code === 'BAD_ADDRESS' || err.code === 'BAD_OPTION')) {
      this.notifier.error(`WhatsUDP server could not start: ${err.message}`, { 'Open Settings': () => settings.openSettings() });
    } else {
      this.notifier.report(err, 'Starting the WhatsUDP server');
    }
  }

  private async useAnotherPort(port: number, share: 'local' | 'network'): Promise<void> {
    const text = await vscode.window.showInputBox({
      title: 'WhatsUDP: server port',
      prompt: 'UDP port for the server (0 picks a free one). Saved as whatsudp.server.port.',
      value: String(port === 65535 ? 0 : port + 1),
      validateInput: (v) => {
        try {
          checkPort(v);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
    if (text === undefined) return;
    await settings.updateSetting('server.port', checkPort(text));
    await this.start(share);
  }

  /** The Stop Server command. */
  async stop(): Promise<void> {
    if (!this.relay) {
      this.notifier.info('No WhatsUDP server is running in this window.');
      return;
    }
    await this.close();
    this.notifier.info('WhatsUDP server stopped.');
  }

  /** Stops the relay if one runs; safe twice. */
  async close(): Promise<void> {
    const relay = this.relay;
    const announcer = this.announcer;
    this.relay = undefined;
    this.announcer = undefined;
    this._info = undefined;
    // Goodbye first (TTL 0 records), so finders drop the relay rather than list one that is gone.
    await announcer?.close().catch((err: unknown) => this.notifier.log.warn(`Discovery: ${(err as Error).message}`));
    if (!relay) return;
    await relay.close();
    this.notifier.log.info('Relay stopped');
    // On shutdown the window is going: nobody needs to rejoin anything.
    if (!this.isDisposed) await this.changed(undefined);
  }

  override dispose(): void {
    void this.close().catch(() => undefined);
    super.dispose();
  }
}
