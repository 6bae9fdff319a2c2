// Start Server / Stop Server: a Relay inside the extension host, so a room needs nothing but
// VS Code. It lives as long as this window (its messages persist in global storage, so a restart
// keeps the room and its history). Shared on the network it is a sealed room (issue 9): only whoever
// has its invite link joins; for this machine only, or with the legacy bridge on, it is open and says so.
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type Address, ChatError, checkPort, formatAddress, Relay } from '../chat';
import { Announcer } from '../chat/discovery';
import { relayKeyPath } from '../chat/identity';
import { MAIN_ROTATION_FILE } from '../chat/relay/main-rotation';
import { selectCrypto, type Crypto } from '../protocol/crypto';
import { displayFingerprint } from '../protocol/fingerprint';
import { formatInvite, formatVscodeInvite, type Invite } from '../protocol/invite';
import { roomVerifier } from '../protocol/sealed-room';
import type { RoomKeys } from './chatSession';
import { serverRunning } from './inviteLinks';
import { Disposable } from './dispose';
import type { Notifier } from './notify';
import { clusterSummary } from './clusterSettings';
import * as settings from './settings';

export interface ServerInfo {
  /** What a colleague types: a LAN address when shared, else 127.0.0.1:port. */
  address: string;
  shared: boolean;
  /** Where this window's own chat connects. */
  local: Address;
  /** A sealed room's: its invite link for colleagues, and the keys this window's chat joins with. */
  invite?: Invite;
  room?: RoomKeys;
}

/** The one room of a relay, as its links and discovery name it. */
const ROOM = 'main';

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
    /** The secret of the sealed room a shared server makes, kept across restarts (SecretStorage). */
    private readonly roomSecret: (crypto: Crypto) => Promise<Uint8Array>,
    /** (issue 9) That room's secret since its key was last rotated here, if it was; and who may rotate it. */
    private readonly rotated: { current: () => Promise<Uint8Array | undefined>; creator: () => Promise<Uint8Array | undefined> } = { current: () => Promise.resolve(undefined), creator: () => Promise.resolve(undefined) },
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
        { label: 'Share on my network', description: '0.0.0.0', detail: 'A sealed room: colleagues join with its invite link, which you give them.', share: 'network' as const },
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
    // Issue 15: with whatsudp.server.cluster the room lives in NATS JetStream, shared with other relays.
    const clusterSettings = settings.serverCluster();
    if ('problem' in clusterSettings) {
      const { setting, message } = clusterSettings.problem;
      this.notifier.error(message, { 'Open Settings': () => settings.openSettings(setting) });
      return;
    }
    const cluster = clusterSettings.cluster;
    const host = share === 'network' ? '0.0.0.0' : '127.0.0.1';
    const legacy = { legacyBridge: settings.legacyEnabled(), legacyBroadcast: settings.legacyBroadcast() };
    // Sealed when shared, unless the legacy bridge is on: the original chat would read and write it in clear.
    let secret: Uint8Array | undefined;
    try {
      const { crypto } = await selectCrypto();
      const first = share === 'network' && !legacy.legacyBridge ? await this.roomSecret(crypto) : undefined;
      const store = path.join(this.storageDir, 'relay');
      // The relay starts from the room's first verifier and reads its rotations from its store; this
      // window's identity may rotate it (Rotate Room Key), and its links carry the newest secret.
      const creator = first ? await this.rotated.creator() : undefined;
      // Its key beside its store, like the CLI's: a restart of VS Code never changes it for members.
      this.relay = await Relay.start({
        host, port, store, keyFile: relayKeyPath(store), ...legacy,
        ...(first ? { roomVerifier: roomVerifier(crypto, first) } : {}), ...(creator ? { roomCreator: creator } : {}), ...(cluster ? { cluster: cluster.options } : {}),
      });
      // The newest secret only while the relay's store still holds the rotation that made it (a store
      // removed by hand starts the room over from its first secret, whose links work again).
      const rotatedHere = first && existsSync(path.join(store, MAIN_ROTATION_FILE)) ? await this.rotated.current() : undefined;
      secret = first ? (rotatedHere ?? first) : undefined;
    } catch (err) {
      this.startFailed(err, port, share, cluster !== undefined);
      return;
    }
    const relay = this.relay;
    for (const note of cluster?.notes ?? []) this.notifier.warn(`WhatsUDP server: ${note}`);
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
    // whatsudp.server.advertise (a cluster's) is where colleagues reach this relay: its address and its link's.
    const ad = share === 'network' ? cluster?.options.advertise : undefined;
    const lan = share === 'network' ? (ad ? [formatAddress(ad)] : lanAddresses(bound)) : [];
    const info: ServerInfo = { address: lan[0] ?? formatAddress(local), shared: share === 'network', local };
    if (secret) {
      const linkRelay = ad ?? { host: lan.length > 0 ? lan[0].slice(0, lan[0].lastIndexOf(':')) : local.host, port: bound };
      info.invite = { relays: [linkRelay], room: ROOM, fingerprints: [relay.fingerprint], secret };
      info.room = { secret, fingerprints: [relay.fingerprint] };
    }
    this._info = info;
    this.notifier.log.info(`Relay listening on ${formatAddress(relay.address())}${secret ? ' (a sealed room)' : ''}${cluster ? `, clustered through ${clusterSummary(cluster)}` : ''}`);
    if (share === 'network' && settings.discoveryAnnounce()) await this.announce(relay, secret !== undefined);

    // A clustered room is kept by the cluster: it outlives this window, and other relays serve it too.
    const lives = cluster ? `The room is kept in ${clusterSummary(cluster)}, so it outlives this window.` : 'The room lives as long as this window.';
    if (share === 'local') {
      this.notifier.info(serverRunning({ sealed: false, shared: false, legacy: false, addresses: [formatAddress(local)] }, lives));
    } else if (lan.length) {
      this.notifier.info(serverRunning({ sealed: secret !== undefined, shared: true, legacy: legacy.legacyBridge, addresses: lan }, lives), this.addressActions(info));
    } else {
      this.notifier.warn(`WhatsUDP server running on port ${bound}, but this machine has no network address right now, so only it can join. ${lives}`);
    }
    await this.changed(info);
  }

  /** (issue 9) The sealed room's key was rotated from this window: its links and this window's chat use the new secret. */
  keyRotated(secret: Uint8Array): void {
    const info = this._info;
    if (!info?.invite || !info.room) return;
    info.invite = { ...info.invite, secret };
    info.room = { ...info.room, secret };
  }

  /** Lets colleagues find the shared relay ("Find Relays on My Network"). A relay that cannot be
   * announced still runs: its address works as before. */
  private async announce(relay: Relay, sealed: boolean): Promise<void> {
    try {
      // A sealed room is listed as sealed: finding it is no way in without its link.
      const rooms = [{ name: ROOM }];
      const announcer = await Announcer.start({ relay: relay.address(), ...(sealed ? { sealed: rooms } : { rooms }), fingerprint: relay.fingerprint });
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
    const invite = info.invite;
    if (!invite) return { 'Copy Address': () => vscode.env.clipboard.writeText(info.address) };
    // The link carries the room's secret: copied only when asked, never logged or shown in full.
    return {
      'Copy Invite Link': () => vscode.env.clipboard.writeText(formatInvite(invite)),
      'Copy VS Code Link': () => vscode.env.clipboard.writeText(formatVscodeInvite(invite, vscode.env.uriScheme)),
    };
  }

  private startFailed(err: unknown, port: number, share: 'local' | 'network', clustered: boolean): void {
    if (clustered && err instanceof ChatError && (err.code === 'UNREACHABLE' || err.code === 'REFUSED')) {
      // Only NATS is reached at start: its answer, and the setting that names it.
      this.notifier.error(`WhatsUDP server could not join its cluster: ${err.message}`, { 'Open Settings': () => settings.openSettings('whatsudp.server.cluster') });
    } else if (err instanceof ChatError && err.code === 'PORT_IN_USE') {
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
