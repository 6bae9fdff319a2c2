// One timeline row per ChatItem. Rows are rebuilt, never patched: the timeline keeps a row only
// while its item object and RowOptions are unchanged, which keeps this file free of update logic.
import type { ChatItem, DeliveryStateView, WebviewToHost } from '../common/messages';
import { visibleName } from '../common/names';
import { el, icon, ICONS, srOnly } from './dom';
import { colorClass, senderMarks, type SenderMark } from './people';
import { renderFile, showLarger } from './files';
import { renderBody } from './render-text';
import { quoteElement, reactionChips, rowTools } from './row-extras';
import { DELETED_TEXT, rowCommands, sameQuote, type Quote } from './thread-text';
import { button, tag } from './toolkit';

export interface RowOptions {
  /** Same sender as the row above, shortly after: the name and time are only read, not shown. */
  continuation: boolean;
  /** The "new messages" divider goes above this row. */
  unread: boolean;
  /** "#3fa2" when the sender's name is shared by someone else. */
  idTag?: string;
  /** The sender's name was seen before with another key. */
  newKey?: boolean;
  /** A reply's quote of the message it answers, as that message reads now. */
  quote?: Quote;
}

export function sameOptions(a: RowOptions, b: RowOptions): boolean {
  return a.continuation === b.continuation && a.unread === b.unread && a.idTag === b.idTag && sameQuote(a.quote, b.quote);
}

/** Messages closer than this from the same sender form one visual group. */
export const GROUP_MS = 5 * 60_000;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayTimeFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });

function timeElement(ms: number): HTMLTimeElement {
  const when = new Date(ms);
  const today = new Date().toDateString() === when.toDateString();
  const t = el('time', 'time', (today ? timeFormat : dayTimeFormat).format(when));
  t.dateTime = when.toISOString();
  t.title = fullFormat.format(when);
  return t;
}

const STATES: Record<DeliveryStateView, { icon: string; title: string }> = {
  queued: { icon: ICONS.clock, title: 'Queued: you are offline. It will be sent when the connection is back.' },
  sending: { icon: ICONS.clock, title: 'Sending…' },
  delivered: { icon: ICONS.check, title: 'Delivered to the relay' },
  failed: { icon: ICONS.error, title: 'Not delivered' },
};

export function buildRow(item: ChatItem, opts: RowOptions): HTMLElement {
  const row = el('div', 'row');
  row.dataset.key = item.key;
  if (opts.unread) {
    const divider = el('div', 'unread-divider');
    divider.setAttribute('role', 'separator');
    divider.append(el('span', undefined, 'New messages'));
    row.append(divider);
  }
  if (item.type === 'notice') {
    row.classList.add('notice', item.tone === 'warning' ? 'warning' : 'info');
    row.append(el('span', 'notice-text', item.text), timeElement(item.time));
    return row;
  }
  row.classList.add('msg');
  if (item.body.kind === 'placeholder') row.classList.add('placeholder'); // muted: no words of anyone's
  if (item.own) row.classList.add('own');
  if (opts.continuation) row.classList.add('cont');

  const main = el('div', 'main');
  const meta = el('div', opts.continuation ? 'meta sr-only' : 'meta');
  const who = el('span', 'who');
  who.append(el('span', `name ${colorClass(item.sender.id, item.sender.name)}`, visibleName(item.sender.name)));
  if (opts.idTag) who.append(' ', el('span', 'id-tag', opts.idTag));
  meta.append(who);
  for (const mark of senderMarks(item.sender, opts.newKey)) meta.append(markTag(mark));
  meta.append(timeElement(item.time));
  const body = el('div', 'body');
  if (item.deleted) {
    row.classList.add('deleted');
    body.append(el('div', 'deleted-text', DELETED_TEXT));
  } else if (item.body.kind === 'file') {
    renderFile(item.key, item.body, body);
    if (item.body.text) renderBody({ kind: 'text', text: item.body.text }, body); // the caption
  } else renderBody(item.body, body);
  main.append(meta);
  if (opts.quote) main.append(quoteElement(opts.quote));
  main.append(body);
  if (item.edited && !item.deleted) main.append(el('span', 'edited-label', '(edited)'));
  if (item.reactions?.length) main.append(reactionChips(item.reactions, item.respond === true));
  const commands = rowCommands(item);
  if (commands.length) {
    row.tabIndex = -1; // the keyboard's stop for its actions (row-keys.ts); the list moves between rows
    row.setAttribute('aria-keyshortcuts', commands.map((c) => ({ react: '+', reply: 'R', edit: 'E', delete: 'Delete' })[c]).join(' '));
    main.append(rowTools(commands));
  }

  if (item.own && item.state === 'failed') {
    const failure = el('div', 'failure');
    failure.append(el('span', 'failure-text', item.error || 'Not delivered.'));
    const retry = button('Retry', 'secondary', 'Send this message again');
    retry.dataset.action = 'retry';
    failure.append(retry);
    main.append(failure);
  }
  row.append(main);

  if (item.own && item.state) {
    const info = STATES[item.state];
    const state = el('span', `state state-${item.state}`);
    state.title = item.state === 'failed' && item.error ? item.error : info.title;
    state.append(icon(info.icon), el('span', 'state-label', item.state));
    row.append(state);
  }
  return row;
}

/** A sender mark as a tag: its tooltip for the mouse, its meaning spoken after it for a screen reader
 * (a tooltip alone is not read). */
function markTag(mark: SenderMark): HTMLElement {
  const t = tag(mark.label, mark.title);
  t.append(srOnly(mark.spoken));
  return t;
}

/** Shown in place of a row whose item could not be rendered, so one bad item costs one row. */
export function brokenRow(key: string): HTMLElement {
  const row = el('div', 'row notice warning');
  row.dataset.key = key;
  row.append(el('span', 'notice-text', 'This item could not be shown.'));
  return row;
}

/** Whether item i continues the group of the message above it. */
export function continues(prev: ChatItem | undefined, item: ChatItem): boolean {
  return (
    prev !== undefined &&
    prev.type === 'message' &&
    item.type === 'message' &&
    prev.own === item.own &&
    prev.sender.id === item.sender.id &&
    prev.sender.name === item.sender.name &&
    prev.sender.legacy === item.sender.legacy &&
    item.time - prev.time < GROUP_MS &&
    item.time >= prev.time
  );
}

/** What a click in the rows asks the host to do (delegated: rows carry no listeners of their own). */
export function rowAction(e: MouseEvent): WebviewToHost | undefined {
  const at = e.target as Element;
  if (at.closest('a')) e.preventDefault(); // the webview itself never navigates
  const target = at.closest<HTMLElement>('[data-action]');
  const key = target?.closest<HTMLElement>('.row')?.dataset.key;
  if (!target || !key || target.hasAttribute('disabled')) return undefined;
  switch (target.dataset.action) {
    case 'retry':
      return { type: 'retry', key };
    case 'openSnippet':
      return { type: 'openSnippet', key };
    case 'openLink':
      return { type: 'openLink', url: target.getAttribute('href') ?? '' };
    case 'fileSave':
      return { type: 'fileSave', key };
    case 'fileCancel': {
      const id = target.closest<HTMLElement>('.file')?.dataset.fileId;
      return id ? { type: 'fileCancel', id } : undefined;
    }
    case 'fileView':
      showLarger(target);
      return undefined;
    default:
      return undefined;
  }
}
