// The extension's parts and the wiring between them: the session, the panel, the status bar, the
// server, the settings. Nothing opens a socket or reads the history until the chat is first needed.
import * as vscode from 'vscode';
import { type Address, ChatError, DEFAULT_PORT, formatAddress, RelayKeyChangedError, type RoomMessage } from '../chat';
import { displayFingerprint } from '../protocol/fingerprint';
import type { Invite } from '../protocol/invite';
import { ChatSession, type RoomKeys } from './chatSession';
import { changeName, openSnippet, registerCommands } from './commands';
import { registerFileCommands } from './fileCommands';
import { FileHost } from './files';
import { Disposable } from './dispose';
import { FileHistory, type HistoryStorage, MemoryHistory } from './history';
import { type Keys, loadKeys } from './identity';
import { Notifier } from './notify';
import { PanelHost } from './panelHost';
import { handleJoinUri, RoomSecrets } from './rooms';
import { fingerprint } from '../protocol/fingerprint';
import { nodeCrypto } from '../protocol/crypto';
import { pinAddress, RelayPins } from '../chat/identity';
import { join as joinRoom, registerRoomCommands } from './roomCommands';
import { RoomHub } from './roomHub';
import { registerDmCommands } from './dmCommands';
import { RoomViews } from './roomViews';
import { registerRotateCommand } from './rotateCommand';
import { Keyring } from '../chat/identity/keyring';
import { secretStore } from './identity';
import { type JoinedRoom, MAIN_ROOM } from './roomList';
import { Server, type ServerInfo } from './server';
import * as settings from './settings';
import { Sidebar } from './sidebar';
import { ChatStatusBar } from './statusBar';
import { preview } from './views';

/** Set once the user has chatted: from then on the status bar shows and the chat rejoins at startup. */
const HAS_CHATTED = 'whatsudp.hasChatted';
/** With `notifications: all`, at most one toast this often; the status bar counts the rest. */
const TOAST_GAP_MS = 10_000;
/** How often the relay's room list is asked for again while the sidebar is in sight. */
const ROOMS_RELIST_MS = 60_000;

export class App extends Disposable {
  readonly notifier: Notifier;
  readonly statusBar = this._register(new ChatStatusBar());
  /** The WhatsUDP view in the Activity Bar: the room, its unread count and its people. */
  readonly sidebar = this._register(new Sidebar());
  readonly server: Server;
  readonly panels: PanelHost;
  /** Sealed rooms' links and the server's room secret, in the secret storage. */
  readonly rooms: RoomSecrets;
  /** The rooms besides the default one, each a session of its own (issue 11). */
  readonly hub: RoomHub;
  /** (issue 14) Save..., images and sending files. */
  readonly files: FileHost;
  private keys: Promise<Keys> | undefined;
  private keyringPromise: Promise<Keyring | undefined> | undefined;
  private main: ChatSession | undefined;
  private readonly views: RoomViews;
  private sessionPromise: Promise<ChatSession> | undefined;
  private starting: Promise<ChatSession | undefined> | undefined;
  private askedName = false;
  private lastToast = 0;

  constructor(private readonly context: vscode.ExtensionContext) {
    super();
    this.notifier = new Notifier(this._register(vscode.window.createOutputChannel('WhatsUDP', { log: true })));
    const rooms = (this.rooms = new RoomSecrets(context.secrets, this.notifier.log));
    this.server = this._register(
      new Server(
        context.globalStorageUri.fsPath,
        this.notifier,
        (info) => this.serverChanged(info).catch((err: unknown) => this.notifier.report(err, 'Joining the server')),
        (crypto) => rooms.serverSecret(crypto),
        { current: () => rooms.serverCurrentSecret(), creator: async () => (await this.deviceKeys()).identity.publicKey },
      ),
    );
    this.files = new FileHost(context.globalStorageUri, this.notifier);
    this.panels = this._register(
      new PanelHost(context.extensionUri, () => this.session(), {
        openSnippet: (key, column, session) => openSnippet(this, key, column, session).catch((err: unknown) => this.notifier.report(err, 'Opening the snippet')),
        changeName: () => changeName(this).catch((err: unknown) => this.notifier.report(err, 'Changing your name')),
        reconnect: () => this.reconnect(),
        verify: (memberId) => vscode.commands.executeCommand('whatsudp.verifyMember', memberId),
        serverInfo: () => (this.server.info ? { address: this.server.info.address, shared: this.server.info.shared } : undefined),
        files: this.files,
      }, this.notifier),
    );
    this.hub = this._register(
      new RoomHub({
        globalState: context.globalState,
        storageDir: context.globalStorageUri.fsPath,
        log: this.notifier.log,
        open: (joined, storage, keys) => this.openRoomSession(joined, storage, keys),
        keys: (relay, room) => rooms.forRoom(relay, room),
        refused: (room, err) => this.notifier.warn(`Room ${room} could not be rejoined: ${err.message}. It is no longer among your rooms.`),
      }),
    );
    this._register(this.sidebar.onDidShow(() => void this.refreshRooms()));
    // Rooms others make appear in the sidebar within a minute while it is in sight (or on Refresh Rooms).
    const relist = setInterval(() => this.sidebar.visible && void this.refreshRooms(), ROOMS_RELIST_MS);
    this._register({ dispose: () => clearInterval(relist) });
    this.views = this._register(new RoomViews({ main: () => this.main, hub: this.hub, panels: this.panels, sidebar: this.sidebar, statusBar: this.statusBar, log: this.notifier.log }));
    for (const d of registerCommands(this)) this._register(d);
    for (const d of registerFileCommands(this)) this._register(d);
    for (const d of registerRoomCommands(this)) this._register(d);
    for (const d of registerDmCommands(this)) this._register(d);
    this._register(registerRotateCommand(this));
    // A clicked vscode://whatsudp.whatsudp/join... link: asks, naming the room and relay, then joins.
    this._register(vscode.window.registerUriHandler({ handleUri: (uri) => void handleJoinUri(this, uri).catch((err: unknown) => this.notifier.report(err, 'Opening the link')) }));
    this._register(vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(settings.SECTION)) this.settingsChanged(e).catch((err: unknown) => this.notifier.report(err, 'Applying the settings'));
    }));
    if (context.globalState.get<boolean>(HAS_CHATTED)) this.statusBar.show();
  }

  get hasChatted(): boolean {
    return this.context.globalState.get<boolean>(HAS_CHATTED) === true;
  }

  /** The session, created on first use: reads the history, opens no socket. */
  session(): Promise<ChatSession> {
    this.sessionPromise ??= this.createSession();
    return this.sessionPromise;
  }

  private async createSession(): Promise<ChatSession> {
    const log = this.notifier.log;
    const storage = await FileHistory.open(this.context.globalStorageUri.fsPath, undefined, log).catch((err: unknown) => {
      log.error('Cannot open the history folder', err);
      return undefined;
    });
    if (!storage) log.warn('Another window keeps the WhatsUDP history: this window keeps its own, in memory.');
    const keys = await this.deviceKeys();
    const session = await ChatSession.open({
      ...keys,
      // A sealed default room's newer keys (issue 9): learnt from a rotation, kept across restarts.
      keyring: await this.keyring(),
      server: this.configuredServer() ?? { host: '127.0.0.1', port: DEFAULT_PORT },
      name: settings.chatName().name ?? 'me',
      storage: storage ?? new MemoryHistory(),
      log,
      maxMessages: settings.maxMessages(),
    });
    this.main = session;
    session.on('unread', () => this.refreshViews());
    session.on('connection', (connection) => {
      this.statusBar.update({ connection });
      this.refreshViews();
    });
    session.on('members', () => this.refreshViews());
    session.on('self', (self) => this.statusBar.update({ name: self.name }));
    session.on('incoming', (m, info) => this.notifyIncoming(m, info.backfill, info.mentionsMe, MAIN_ROOM));
    // Met on a rejoin (the relay restarted with another key): said the same way as on a join.
    session.on('relayKeyChanged', (err) => this.relayKeyChanged(session, err));
    session.on('dmOpened', (dm) => this.dmOpened(dm.name, dm.key));
    this.statusBar.update({ connection: session.connection, name: session.name, unread: session.unread });
    return session;
  }

  /** Sealed rooms' secrets by epoch (issue 9), in the secret storage; none (logged) if unreadable. */
  /** This device's identity and pin files, loaded once. */
  private deviceKeys(): Promise<Keys> {
    this.keys ??= loadKeys(this.context.secrets, this.context.globalStorageUri.fsPath, this.notifier.log);
    return this.keys;
  }

  private keyring(): Promise<Keyring | undefined> {
    this.keyringPromise ??= Keyring.load(secretStore(this.context.secrets, 'whatsudp.keyring')).catch((err: unknown) => {
      this.notifier.log.warn(`Cannot read the sealed rooms' keyring: ${(err as Error).message}`);
      return undefined;
    });
    return this.keyringPromise;
  }

  /** A room's session besides the default one: the same keys, name and settings, its own history. */
  private async openRoomSession(joined: JoinedRoom, storage: HistoryStorage, room: RoomKeys | undefined): Promise<ChatSession> {
    const main = await this.session();
    const keys = await this.keys!;
    const dmKeys = joined.dm ? sortedKeys(keys.identity.publicKey, Buffer.from(joined.dm.key, 'base64url')) : undefined;
    const session = await ChatSession.open({
      ...keys,
      server: main.server,
      name: main.name,
      storage,
      log: this.notifier.log,
      maxMessages: settings.maxMessages(),
      room: joined.room,
      keyring: await this.keyring(),
      ...(joined.created || joined.dm ? { create: true } : {}),
      ...(dmKeys ? { dmKeys } : {}),
    });
    session.setServer(main.server, room);
    session.on('unread', () => this.refreshViews());
    session.on('connection', () => this.refreshViews());
    session.on('members', () => this.refreshViews());
    session.on('incoming', (m, info) => this.notifyIncoming(m, info.backfill, info.mentionsMe, joined.room, joined.dm?.peer));
    return session;
  }

  /** The sidebar, the view badge and the status bar from every room's state: once per turn. */
  refreshViews(): void {
    this.views.refresh();
  }

  /** Asks the relay for its rooms again (after a join or a leave, and when the sidebar shows). */
  async refreshRooms(): Promise<void> {
    if (this.main?.started) await this.hub.refresh(this.main);
  }

  /** The pinned key fingerprint of the relay at `server` (pinned at the first join there). */
  async relayFingerprint(server: Address): Promise<string | undefined> {
    const keys = await this.keys;
    const text = await keys?.relayPins.get().catch(() => undefined);
    const key = text ? new RelayPins(text).key(pinAddress(formatAddress(server))) : undefined;
    return key ? fingerprint(nodeCrypto, key) : undefined;
  }

  /** Joins the room unless already joined; undefined when there is no usable name or address.
   * `interactive`: the user asked, so ask for a missing name and explain failures. `beforeJoin` runs
   * once the name is settled and before the (up to 5 s) join, so the panel can open meanwhile. */
  startChat(interactive: boolean, beforeJoin?: () => Promise<unknown>): Promise<ChatSession | undefined> {
    this.starting ??= this.doStart(interactive, beforeJoin).finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async doStart(interactive: boolean, beforeJoin?: () => Promise<unknown>): Promise<ChatSession | undefined> {
    const session = await this.session();
    if (session.started) return session;
    const name = await this.resolveName(interactive);
    const server = this.server.info?.local ?? this.configuredServer(interactive);
    if (!name || !server) return undefined;
    await session.rename(name);
    await this.context.globalState.update(HAS_CHATTED, true);
    this.statusBar.show();
    await this.join(session, server, interactive, beforeJoin);
    return session;
  }

  /** The one way the chat (re)joins: points the session at `server`, then connects. A failed join is
   * logged, and told to the user when `interactive`; it does not reject. `beforeJoin` runs in between. */
  private async join(session: ChatSession, server: Address, interactive: boolean, beforeJoin?: () => Promise<unknown>): Promise<void> {
    const room = await this.roomFor(server);
    session.setServer(server, room);
    await beforeJoin?.();
    try {
      await session.connect();
      void this.hub.setRelay(server, true).then(() => this.hub.refresh(session));
    } catch (err) {
      void this.hub.setRelay(server, false);
      if (!interactive) return; // logged by the session; the status bar and the banner say offline
      const where = formatAddress(session.server);
      const actions = {
        'Start Server': () => this.server.start(),
        'Open Settings': () => settings.openSettings('whatsudp.relayAddress'),
        Retry: () => this.reconnect(),
      };
      if (err instanceof RelayKeyChangedError) {
        this.relayKeyChanged(session, err);
      } else if (err instanceof ChatError && err.code === 'REFUSED' && err.message.includes('this room is sealed')) {
        // A sealed room: what helps is its link, not the server or the address.
        this.notifier.error(`Cannot join the chat at ${where}: ${err.message}`, { 'Join Room from Link': () => vscode.commands.executeCommand('whatsudp.joinRoomFromLink') });
      } else if (err instanceof ChatError && err.code === 'UNREACHABLE') {
        this.notifier.warn(`No WhatsUDP relay answered at ${where}. Start one with "WhatsUDP: Start Server", or set whatsudp.relayAddress to a colleague's relay. What you write is kept and sent once it answers.`, actions);
      } else if (err instanceof ChatError) {
        this.notifier.error(`Cannot join the chat at ${where}: ${err.message}`, actions);
      } else {
        this.notifier.report(err, 'Joining the chat');
      }
    }
  }

  /** The keys of the sealed room at `server`: this window's own server's, or one joined by link. */
  private async roomFor(server: Address): Promise<RoomKeys | undefined> {
    const own = this.server.info;
    if (own && formatAddress(own.local) === formatAddress(server)) return own.room;
    return this.rooms.forServer(server);
  }

  /** Joins the sealed room of an invite link: its secret kept, whatsudp.relayAddress set to its relay
   * (so a restart rejoins it), then the join, with the link's key fingerprint checked. */
  async joinInvite(inv: Invite): Promise<void> {
    const relay = inv.relays[0];
    if (this.server.info) {
      this.notifier.warn(`This window runs its own WhatsUDP server, and its chat is in that room. Stop the server ("WhatsUDP: Stop Server"), then open the link to ${formatAddress(relay)} again.`);
      return;
    }
    const current = this.configuredServer();
    const elsewhere = !current || formatAddress(current) !== formatAddress(relay);
    if (inv.room !== MAIN_ROOM) {
      // A named room's link (Create Room): a room of its own beside the default room of that relay.
      const keys = { secret: inv.secret, fingerprints: inv.fingerprints, relays: inv.relays };
      await this.rooms.rememberRoom(relay, inv.room, keys);
      if (elsewhere) await settings.updateSetting('relayAddress', formatAddress(relay));
      if (elsewhere || !(await this.session()).started) await this.reconnect();
      await joinRoom(this, inv.room, {}, keys);
      return;
    }
    await this.rooms.remember(inv);
    if (elsewhere) await settings.updateSetting('relayAddress', formatAddress(relay));
    await this.reconnect();
    await this.panels.open();
  }

  /** Like SSH's "host key changed": both fingerprints, and trusting the new one is the user's choice. */
  private relayKeyChanged(session: ChatSession, err: RelayKeyChangedError): void {
    this.notifier.error(
      `The relay at ${err.address} presents a different key than the one pinned for it: pinned ${displayFingerprint(err.pinned)}, ` +
        `presented ${displayFingerprint(err.presented)}. Someone may be impersonating it, or it was set up again. Trust the new key only if the relay's owner confirms it.`,
      {
        'Trust the New Key': async () => {
          session.trustRelayKey(err.presented);
          await this.reconnect();
        },
      },
    );
  }

  /** Opens (or reveals) the chat and joins; resolves once joined or once the join failed. */
  async openChat(): Promise<void> {
    let opened = false;
    const open = async () => {
      opened = true;
      await this.panels.open();
    };
    // A join already under way (the background rejoin at startup) must not keep the panel waiting.
    if (this.starting) await open();
    await this.startChat(true, open);
    // Already joined, or no name: the panel still shows the conversation kept so far.
    if (!opened) await open();
  }

  async reconnect(): Promise<void> {
    const session = await this.session();
    if (!session.started) {
      await this.startChat(true);
      return;
    }
    const server = this.server.info?.local ?? this.configuredServer(true);
    if (server) await this.join(session, server, true);
  }

  private async resolveName(interactive: boolean): Promise<string | undefined> {
    const { name, problem } = settings.chatName();
    if (name) return name;
    if (!interactive || this.askedName) {
      if (problem) this.notifier.error(problem.message, { 'Open Settings': () => settings.openSettings('whatsudp.name') });
      return undefined;
    }
    this.askedName = true; // once per window: a user who cancels is not asked again and again
    const chosen = await settings.askName('', problem?.message ?? 'Choose the name others see in the chat.');
    if (!chosen) {
      this.notifier.warn('WhatsUDP needs a name to join the chat: set whatsudp.name, or run "WhatsUDP: Change Name".', {
        'Open Settings': () => settings.openSettings('whatsudp.name'),
      });
      return undefined;
    }
    await settings.updateSetting('name', chosen);
    return chosen;
  }

  /** whatsudp.relayAddress, or undefined (with a message naming the setting when `tell`). */
  private configuredServer(tell = false): Address | undefined {
    try {
      return settings.relayAddress();
    } catch (err) {
      if (tell) this.notifier.error((err as Error).message, { 'Open Settings': () => settings.openSettings('whatsudp.relayAddress') });
      else this.notifier.log.warn((err as Error).message);
      return undefined;
    }
  }

  private async settingsChanged(e: vscode.ConfigurationChangeEvent): Promise<void> {
    if (!this.sessionPromise) return; // read fresh when the session is created
    const session = await this.sessionPromise;
    if (e.affectsConfiguration('whatsudp.history.maxMessages')) session.setMaxMessages(settings.maxMessages());
    if (e.affectsConfiguration('whatsudp.name')) {
      const { name, problem } = settings.chatName();
      if (name) await Promise.all([session, ...this.hub.list.map((e) => e.session)].map((x) => x.rename(name)));
      else if (problem) this.notifier.error(problem.message, { 'Open Settings': () => settings.openSettings('whatsudp.name') });
    }
    if (e.affectsConfiguration('whatsudp.relayAddress') && !this.server.info) {
      const server = this.configuredServer(true);
      if (server && formatAddress(server) !== formatAddress(session.server)) {
        if (session.started) await this.join(session, server, true);
        // Joined there when the chat starts; with its sealed room's keys, should a join be on its way.
        else session.setServer(server, await this.roomFor(server));
      }
    }
  }

  /** Server started: the chat joins it (awaited, so Start Server is done once the chat is in).
   * Stopped: back to whatsudp.relayAddress, in the background (that relay may be far or gone). */
  private async serverChanged(info: ServerInfo | undefined): Promise<void> {
    this.panels.serverChanged();
    if (info) {
      const session = await this.session();
      if (session.started) await this.join(session, info.local, true);
      else await this.startChat(true);
      return;
    }
    const session = this.sessionPromise && (await this.sessionPromise);
    const server = this.configuredServer();
    if (session?.started && server) void this.join(session, server, false);
  }

  /** Someone just opened a DM with this device: it shows under Direct Messages now, and is said
   * (unless notifications are off), with a button that opens it. Nothing opens by itself. */
  private dmOpened(name: string, key: string): void {
    void this.refreshRooms();
    if (settings.notifyPolicy() === 'off') return;
    this.notifier.info(`${name} opened a direct message with you.`, { Open: () => vscode.commands.executeCommand('whatsudp.directMessage', key) });
  }

  /** A message from someone else in `room`. A muted room notifies only a mention (and says it is muted);
   * a room other than the default one is named, so the toast says where to answer. */
  private notifyIncoming(m: RoomMessage, backfill: boolean, mentionsMe: boolean, room: string, dmPeer?: string): void {
    const shown = room === MAIN_ROOM ? this.panels.visible : this.panels.roomPanel(room)?.visible === true;
    if (backfill || shown) return;
    const muted = this.hub.isMuted(room);
    const policy = settings.notifyPolicy();
    if (policy === 'off' || ((policy === 'mentions' || muted) && !mentionsMe)) return;
    const now = Date.now();
    if (!mentionsMe && now - this.lastToast < TOAST_GAP_MS) return;
    this.lastToast = now;
    const where = this.hub.list.length === 0 && room === MAIN_ROOM ? '' : `${dmPeer !== undefined ? `DM ${dmPeer}` : room}${muted ? ' (muted; a mention still notifies)' : ''}: `;
    const open = room === MAIN_ROOM ? () => this.openChat() : () => vscode.commands.executeCommand('whatsudp.openRoom', room);
    this.notifier.info(`${where}${preview(m)}`, { [room === MAIN_ROOM ? 'Open Chat' : 'Open Room']: open });
  }

  /** Leaves the room, stops the server, writes the history: awaited by deactivate(). */
  async shutdown(): Promise<void> {
    const relay = this.server.close();
    const others = this.hub.close();
    const session = this.sessionPromise?.then((s) => s.dispose(), () => undefined);
    this.dispose();
    await Promise.all([relay, others, session]);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    // The session is not a vscode.Disposable (it runs in plain Node too): closed here, safe twice.
    void this.sessionPromise?.then((s) => s.dispose(), () => undefined);
    super.dispose();
  }
}

/** A DM room's two device keys, ascending bytewise (rooms-design.md). */
function sortedKeys(a: Uint8Array, b: Uint8Array): [Uint8Array, Uint8Array] {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) <= 0 ? [a, b] : [b, a];
}
