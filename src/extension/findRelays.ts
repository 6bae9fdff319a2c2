// "WhatsUDP: Find Relays on My Network": searches this machine's networks (DNS-SD over mDNS and the
// broadcast probe, src/chat/discovery) while a list is open, shows each relay as it answers, and joins
// the one picked by setting whatsudp.relayAddress. Nothing is sent before the command runs, and the
// search stops when the list closes, or after a minute if it is left open. Typing an address is
// always offered: discovery only adds a way to learn one.
import * as vscode from 'vscode';
import { formatAddress, parseAddress } from '../chat';
import { RelayBrowser } from '../chat/discovery';
import type { Notifier } from './notify';
import { relayItems, searchStatus, type RelayItem } from './relayItems';
import * as settings from './settings';

const SEARCH_MS = 60_000;

type Row = vscode.QuickPickItem & { address?: string; typed?: true };

const TYPE_ADDRESS: Row = { label: '$(edit) Enter an address…', detail: 'HOST:PORT of a relay, as its owner gives it', typed: true, alwaysShow: true };

export interface FindRelaysHost {
  readonly notifier: Notifier;
  /** True while this window runs a server: its own chat stays there. */
  serving(): boolean;
  openChat(): Promise<void>;
}

export async function findRelays(host: FindRelaysHost): Promise<void> {
  const picked = await pickRelay(host.notifier);
  if (!picked) return;
  if (host.serving()) {
    host.notifier.warn(`This window runs a WhatsUDP server, and its chat stays in that room. Stop the server ("WhatsUDP: Stop Server") to join ${picked}.`);
    return;
  }
  await settings.updateSetting('relayAddress', picked);
  await host.openChat();
}

/** The address picked or typed, or undefined when the list was closed. */
async function pickRelay(notifier: Notifier): Promise<string | undefined> {
  const pick = vscode.window.createQuickPick<Row>();
  pick.title = 'WhatsUDP: Find Relays on My Network';
  pick.placeholder = 'Relays appear as they answer; pick one to join it';
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  pick.items = [TYPE_ADDRESS];
  pick.busy = true;
  pick.show();

  let browser: RelayBrowser | undefined;
  let timer: NodeJS.Timeout | undefined;
  let searching = true;
  const searched = (): string[] => browser?.searched.map((i) => i.name) ?? [];
  const refresh = (): void => {
    const found = browser?.relays() ?? [];
    const rows: Row[] = relayItems(found).map((i: RelayItem) => ({ label: i.label, description: i.description, detail: i.detail, address: i.address }));
    pick.items = [...rows, TYPE_ADDRESS];
    pick.placeholder = searchStatus(found.length, searched(), searching);
    pick.busy = searching;
  };
  /** Ends the search; what was found stays listed. */
  const stop = async (): Promise<void> => {
    searching = false;
    clearTimeout(timer);
    const b = browser;
    if (!b) return;
    refresh();
    browser = undefined;
    await b.close().catch((err: unknown) => notifier.log.warn(`Discovery: ${(err as Error).message}`));
  };

  const chosen = new Promise<Row | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]));
    pick.onDidHide(() => resolve(undefined));
  });

  try {
    browser = await RelayBrowser.start();
  } catch (err) {
    pick.busy = false;
    searching = false;
    pick.placeholder = `Could not search the network: ${(err as Error).message}. You can still type an address.`;
    notifier.log.warn(`Discovery could not start: ${(err as Error).message}`);
  }
  if (browser) {
    for (const notice of browser.notices) notifier.log.info(`Discovery: ${notice}`);
    // Other programs' mDNS chatter that does not decode: for the log, not for the user.
    browser.on('warning', (err) => notifier.log.debug(`Discovery: ${err.message}`));
    browser.on('found', refresh);
    browser.on('changed', refresh);
    browser.on('lost', refresh);
    if (browser.searched.length === 0) await stop();
    else timer = setTimeout(() => void stop(), SEARCH_MS);
    refresh();
  }

  const row = await chosen;
  await stop();
  pick.dispose();
  if (!row) return undefined;
  if (row.typed) return askAddress();
  return row.address;
}

async function askAddress(): Promise<string | undefined> {
  const text = await vscode.window.showInputBox({
    title: 'WhatsUDP: relay address',
    prompt: 'The relay to join, as HOST:PORT (IPv6 as [::1]:2410). Saved as whatsudp.relayAddress.',
    validateInput: (v) => {
      try {
        parseAddress(v.trim());
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
    ignoreFocusOut: true,
  });
  return text === undefined ? undefined : formatAddress(parseAddress(text.trim()));
}
