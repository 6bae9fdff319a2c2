// What a message row shows beside its words (issue 13): the quote of the message a reply answers,
// the reaction chips and the row's toolbar (React, Reply, Edit, Delete); the words are thread-text.ts's.
// Names and emoji are peer text: they go in through el() (textContent) and title/aria attributes,
// never markup. Clicks are delegated: each control says what it does in data-command.
import type { ReactionView } from '../common/messages';
import { el, icon, ICONS } from './dom';
import { chipLabels, MISSING_QUOTE, type Quote } from './thread-text';

/** The quote above a reply's words: a button that scrolls to the original. */
export function quoteElement(q: Quote): HTMLElement {
  const b = el('button', 'quote');
  b.type = 'button';
  b.tabIndex = -1; // the row is the keyboard's stop; Enter on it does the same (row-keys.ts)
  b.dataset.command = 'quote';
  b.dataset.target = q.key;
  if ('missing' in q) {
    b.classList.add('missing');
    b.append(el('span', 'quote-text', `Replying to ${MISSING_QUOTE}`));
    b.title = 'That message is older than the history kept here';
  } else {
    b.append(el('span', 'quote-name', q.name), el('span', 'quote-text', q.text));
    b.title = `Show ${q.name}'s message`;
  }
  return b;
}

export function reactionChips(reactions: readonly ReactionView[], enabled: boolean): HTMLElement {
  const box = el('div', 'reactions');
  for (const r of reactions) {
    const chip = el('button', r.mine ? 'chip mine' : 'chip');
    chip.type = 'button';
    chip.tabIndex = -1;
    chip.dataset.command = 'chip';
    chip.dataset.emoji = r.emoji;
    chip.disabled = !enabled;
    chip.setAttribute('aria-pressed', String(r.mine));
    const { title, aria } = chipLabels(r);
    chip.title = title;
    chip.setAttribute('aria-label', aria);
    chip.append(el('span', 'chip-emoji', r.emoji), el('span', 'chip-count', String(r.names.length)));
    box.append(chip);
  }
  return box;
}

const TOOLS: Record<string, [icon: string, title: string]> = {
  react: [ICONS.smile, 'React (+)'],
  reply: [ICONS.reply, 'Reply (R)'],
  edit: [ICONS.pencil, 'Edit (E)'],
  delete: [ICONS.trash, 'Delete (Delete)'],
};

/** The toolbar shown on hover and while the row has the keyboard. */
export function rowTools(commands: readonly string[]): HTMLElement {
  const bar = el('div', 'row-tools');
  for (const c of commands) {
    const [path, title] = TOOLS[c];
    const b = el('button', `tool tool-${c}`);
    b.type = 'button';
    b.tabIndex = -1;
    b.dataset.command = c;
    b.title = title;
    b.setAttribute('aria-label', title.replace(/ \(.*\)$/, ''));
    b.append(icon(path));
    bar.append(b);
  }
  return bar;
}
