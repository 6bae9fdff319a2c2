// The chat panel's browser side. It builds the whole UI itself, so the host's HTML is trivial:
//
//   <!DOCTYPE html>
//   <html lang="en">
//   <head>
//     <meta charset="UTF-8">
//     <meta http-equiv="Content-Security-Policy" content="default-src 'none';
//       style-src ${webview.cspSource} 'nonce-${nonce}'; script-src 'nonce-${nonce}';
//       font-src ${webview.cspSource}; img-src ${webview.cspSource};">
//     <meta name="viewport" content="width=device-width, initial-scale=1.0">
//     <link rel="stylesheet" nonce="${nonce}" href="${asWebviewUri('media/chat.css')}">
//     <title>WhatsUDP</title>
//   </head>
//   <body>
//     <div id="app"></div>
//     <script nonce="${nonce}" src="${asWebviewUri('dist/webview.js')}"></script>
//   </body>
//   </html>
//
// (Without #app the UI goes straight into <body>.) No 'unsafe-inline' is needed: the toolkit styles
// itself with adoptedStyleSheets, and our own code sets styles only through the CSSOM.
//
// Protocol: post `ready`, receive `snapshot`, then changes; `inspect` is answered with `report`.
import type { ChatItem, HostToWebview, RenderReport, Snapshot } from '../common/messages';
import { ActivityBar } from './activity-bar';
import { Composer } from './composer';
import { el, icon, ICONS } from './dom';
import { fileReports, forgetAsked, setFilePost, setFileState } from './files';
import { Header } from './header';
import { MemberList } from './members';
import { People } from './people';
import { bodyText } from './render-text';
import { buildReport, rowDetail, rowText } from './report';
import { RowActions } from './row-actions';
import { SearchBar, searchButton } from './search-bar';
import { Timeline } from './timeline';
import { button, registerToolkit } from './toolkit';
import { loadState, post, saveState } from './vscode-api';

// Our own <script> (and anything else the host or VS Code put there before us) is not peer content.
const ownScripts = new Set(document.querySelectorAll('script, iframe, object, embed'));

let lastErrorAt = 0;
let errorBudget = 20;
function reportError(message: string): void {
  // Never flood the host: one broken item repeated 10,000 times is one problem.
  const now = performance.now();
  errorBudget = Math.min(20, errorBudget + (now - lastErrorAt) / 1000);
  lastErrorAt = now;
  if (errorBudget < 1) return;
  errorBudget--;
  console.error(message);
  post({ type: 'error', message });
}

/** What has the keyboard, in the words of the render report. */
function focusName(search: Element, composer: Element, messages: Element): string {
  const at = document.activeElement;
  if (!at || at === document.body) return 'nothing';
  return search.contains(at) ? 'search' : composer.contains(at) ? 'composer' : messages.contains(at) ? 'messages' : at.tagName.toLowerCase();
}

/** The row with the keyboard, as the render report gives it. */
function focusedRow(scroller: HTMLElement): RenderReport['focusedRow'] {
  const row = document.activeElement;
  if (!(row instanceof HTMLElement) || !row.classList.contains('row') || !scroller.contains(row)) return undefined;
  const [r, view] = [row.getBoundingClientRect(), scroller.getBoundingClientRect()];
  return { key: row.dataset.key ?? '', text: rowText(row), inView: r.top >= view.top - 1 && r.bottom <= view.bottom + 1, detail: rowDetail(row) };
}

/** A message a reply or an edit can still refer to. */
const isLive = (item: ChatItem | undefined): boolean => item?.type === 'message' && item.respond === true;

function start(): void {
  registerToolkit();
  setFilePost(post);
  const state = loadState();
  const people = new People();
  let snapshotRenderMs: number | undefined;
  let appendRenderMs: number | undefined;
  let membersOpen = state.membersOpen ?? window.innerWidth >= 640;
  let saveTimer: ReturnType<typeof setTimeout> | undefined;

  const save = (): void => {
    saveTimer = undefined;
    saveState({ draft: composer.keptDraft, anchor: timeline.anchor(), membersOpen });
  };
  const saveSoon = (): void => {
    saveTimer ??= setTimeout(save, 200);
  };

  const jump = button('', 'primary', 'Scroll to the newest message');
  jump.classList.add('jump');
  jump.hidden = true;
  const jumpLabel = el('span');
  jump.append(icon(ICONS.arrowDown, 'icon jump-icon'), jumpLabel);
  jump.addEventListener('click', () => {
    timeline.scrollToBottom();
    timeline.scroller.focus({ preventScroll: true });
  });

  const timeline = new Timeline(people, {
    action: post,
    error: reportError,
    moved: (pinned, unseen) => {
      // Only touch the DOM on a change: this runs on every render and a write forces another layout.
      if (jump.hidden !== pinned) jump.hidden = pinned;
      const label = unseen > 0 ? `${unseen} new message${unseen === 1 ? '' : 's'}` : 'Jump to latest';
      if (jumpLabel.textContent !== label) jumpLabel.textContent = label;
      saveSoon();
      activity.shown(timeline.readerAt(), timeline.scroller.clientHeight > 0); // the newest row in view is seen
    },
    decorate: (row, item) => search.decorate(row, item),
    command: (command, item, control) => actions.command(command, item, control),
  });
  const search = new SearchBar(timeline, () => composer.focus());
  const header = new Header({
    changeName: () => post({ type: 'changeName' }),
    reconnect: () => post({ type: 'reconnect' }),
    toggleMembers: () => {
      membersOpen = !membersOpen;
      layout();
      saveSoon();
    },
  });
  header.element.querySelector('.spacer')?.after(searchButton(() => search.open()));
  const members = new MemberList(people, (id) => post({ type: 'verify', id }));
  const composer = new Composer({
    send: (text, context) => {
      if (context?.kind !== 'edit') post({ type: 'send', text, ...(context ? { replyTo: context.key } : {}) });
      else {
        const was = timeline.item(context.key);
        if (was?.type !== 'message' || text !== was.body.text) post({ type: 'edit', key: context.key, text }); // unchanged: nothing to send
      }
    },
    draftChanged: saveSoon,
    typed: () => activity.typed(),
    editLast: () => actions.editLast(),
    toMessages: () => actions.toMessages(),
    post,
  });
  const actions = new RowActions(timeline, composer, post);
  const activity = new ActivityBar(post, () => timeline.list);
  composer.draft = state.draft;

  // New messages from others are read out here; the log itself is not live (see timeline.ts).
  const announcer = el('div', 'sr-only');
  announcer.setAttribute('aria-live', 'polite');
  const announce = (added: readonly ChatItem[]): void => {
    const fromOthers = added.filter((i) => i.type === 'message' && !i.own);
    if (fromOthers.length === 0) return;
    const text =
      fromOthers.length > 3
        ? `${fromOthers.length} new messages`
        : fromOthers.map((i) => (i.type === 'message' ? `${i.sender.name}: ${bodyText(i.body)}`.slice(0, 300) : '')).join('. ');
    announcer.append(el('div', undefined, text));
    while (announcer.childElementCount > 5) announcer.firstElementChild?.remove();
  };

  const app = document.getElementById('app') ?? document.body;
  app.classList.add('app');
  const timelineBox = el('div', 'timeline');
  timelineBox.append(timeline.scroller, jump, actions.popover, actions.toast);
  const middle = el('div', 'middle');
  middle.append(timelineBox, members.element);
  app.replaceChildren(header.element, header.banner, search.element, middle, activity.element, composer.element, announcer);
  const layout = (): void => {
    members.element.hidden = !membersOpen;
    header.setMembers(members.count, membersOpen);
  };
  layout();

  const applySnapshot = (s: Snapshot): void => {
    header.setSelf(s.self.name);
    header.setConnection(s.connection);
    header.setServer(s.server);
    people.clear();
    members.update(s.members);
    composer.setMembers(s.members);
    layout();
    composer.setMaxBytes(s.maxBytes);
    timeline.reset(s.items, s.firstUnreadKey, state.anchor);
    activity.reset(s.seen, s.seenCount);
    activity.setMembers(s.members);
    search.itemsChanged();
    state.anchor = undefined; // restore once, after a reload; later snapshots follow the reader
  };

  const handle = (msg: HostToWebview): void => {
    switch (msg.type) {
      case 'snapshot': {
        const t0 = performance.now();
        forgetAsked();
        applySnapshot(msg.snapshot);
        void document.body.offsetHeight; // include style and layout in the measurement
        snapshotRenderMs = performance.now() - t0;
        break;
      }
      case 'items': {
        const t0 = performance.now();
        const added = timeline.apply(msg.items, msg.replaces);
        search.itemsChanged();
        composer.dropContext((key) => isLive(timeline.item(key)));
        void document.body.offsetHeight;
        if (added.length > 0) appendRenderMs = performance.now() - t0;
        announce(added);
        activity.arrived(added);
        break;
      }
      case 'members':
        members.update(msg.members);
        composer.setMembers(msg.members);
        activity.setMembers(msg.members);
        layout();
        timeline.refresh(); // a name may have become ambiguous
        break;
      case 'connection':
        header.setConnection(msg.connection);
        break;
      case 'server':
        header.setServer(msg.server);
        break;
      case 'self':
        header.setSelf(msg.self.name);
        break;
      case 'cleared':
        timeline.clear();
        search.itemsChanged();
        composer.dropContext(() => false);
        activity.arrived([]);
        break;
      case 'focusComposer':
        composer.focus();
        break;
      case 'typing':
        activity.typing(msg.id);
        break;
      case 'seen':
        activity.setSeen(msg.id, msg.seq);
        break;
      case 'seenCount':
        activity.setSeenCount(msg.seq, msg.count);
        break;
      case 'file':
        if (msg.state.upload) composer.attachments.showUpload(msg.id, msg.state, post);
        else setFileState(msg.id, msg.state, timeline.scroller);
        break;
      case 'inspect': {
        const report: RenderReport = {
          ...buildReport({ timeline, bannerText: header.bannerShown, memberNames: members.names(), ownScripts, snapshotRenderMs, appendRenderMs }),
          search: search.report(),
          composerContext: composer.contextLabel,
          toast: actions.toastText,
          focusedRow: focusedRow(timeline.scroller),
          popover: actions.popover.hidden ? undefined : actions.popover.getAttribute('aria-label') ?? '',
          ...activity.report(),
          draft: composer.draft,
          mentions: composer.mentionNames,
          focus: focusName(search.element, composer.element, timeline.scroller),
          files: fileReports(timeline.scroller),
          attachments: composer.attachments.names,
        };
        post({ type: 'report', id: msg.id, report });
        break;
      }
      default: {
        const _exhaustive: never = msg;
        reportError(`Unknown message from the host: ${JSON.stringify((_exhaustive as { type?: unknown }).type)}`);
      }
    }
  };

  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const msg = event.data;
    if (typeof msg !== 'object' || msg === null || typeof (msg as { type?: unknown }).type !== 'string') return;
    try {
      handle(msg as HostToWebview);
    } catch (err) {
      reportError(`Render error on ${(msg as { type: string }).type}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    }
  });
  window.addEventListener('keydown', (e) => search.onKey(e)); // Ctrl+F / Cmd+F and F3 from anywhere
  window.addEventListener('error', (e) => reportError(`Webview error: ${e.message}`));
  window.addEventListener('unhandledrejection', (e) => reportError(`Webview error: ${String(e.reason)}`));
  window.addEventListener('pagehide', () => save());
  // Shown again (or the window came back): the rows in view are seen now.
  const shown = (): void => activity.shown(timeline.readerAt(), timeline.scroller.clientHeight > 0);
  document.addEventListener('visibilitychange', shown);
  window.addEventListener('focus', shown);
  // Lay out the empty panel now (the browser would before its first paint anyway), so the
  // snapshot's render time measures the conversation, not the page's first layout.
  void document.body.offsetHeight;
  post({ type: 'ready' });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
