// The message box. Enter sends, Shift+Enter makes a new line (Ctrl/Cmd+Enter also sends). The
// byte count and the reason a draft cannot be sent are shown while typing (see draft.ts). Typing "@"
// offers the members' names (mention.ts): Up/Down choose, Tab or Enter insert, Escape closes; Enter
// sends only while no list is open. Above the box, "Replying to NAME: first line ×" or "Editing your
// message ×" while a reply or an edit is being written; Escape (or ×) cancels it. Up in an empty box
// edits your last message; Alt+Up goes to the messages (row-keys.ts).
import type { MemberView, WebviewToHost } from '../common/messages';
import { Attachments } from './attach';
import { el } from './dom';
import { checkDraft } from './draft';
import { insertMention, mentionCandidates, mentionQuery } from './mention';
import { MentionList } from './mention-list';
import { button, setDisabled, textArea, type TextBox } from './toolkit';

/** What the box is writing besides a new message: a reply to, or an edit of, the message at `key`. */
export interface ComposerContext {
  kind: 'reply' | 'edit';
  key: string;
  /** "Replying to bob: first line" */
  label: string;
}

export interface ComposerHooks {
  send(text: string, context?: ComposerContext): void;
  draftChanged(text: string): void;
  /** The person typed something (others see "… is typing"). */
  typed?(): void;
  /** Up in an empty box: edit the last message of one's own. */
  editLast?(): void;
  /** Alt+Up: the keyboard goes to the messages. */
  toMessages?(): void;
  /** (issue 14) Where pasted or dropped files go when sent. */
  post?(m: WebviewToHost): void;
}

const MAX_ROWS = 8;

export class Composer {
  readonly element = el('div', 'composer');
  private readonly box: TextBox;
  private readonly sendButton: HTMLElement;
  private readonly count = el('span', 'count');
  private readonly problem = el('span', 'problem');
  private readonly hint = el('span', 'hint', 'Enter to send · Shift+Enter for a new line');
  private readonly contextBar = el('div', 'composer-context');
  private readonly contextText = el('span', 'context-text');
  private context: ComposerContext | undefined;
  /** The draft an edit put aside: it comes back when the edit is sent or cancelled. */
  private setAside = '';
  private maxBytes = 65536;
  private members: readonly MemberView[] = [];
  private readonly mentions = new MentionList((name) => this.accept(name));
  /** Where Escape closed the list ("start:query"): it stays closed there until the query changes. */
  private dismissed: string | undefined;
  /** Pasted or dropped files waiting for Send (issue 14). */
  readonly attachments = new Attachments((problem) => {
    this.refusal = problem ?? '';
    this.update();
  });
  /** Why the last pasted or dropped file was refused (over 16 MiB), until the next change. */
  private refusal = '';

  constructor(private readonly hooks: ComposerHooks) {
    // A short placeholder: a long one wraps and is cut off in a one-row box on a narrow panel.
    this.box = textArea('Message', 'Message');
    this.box.rows = 1;
    this.box.element.classList.add('input');
    this.box.element.addEventListener('keydown', (e) => this.onKey(e));
    this.box.element.addEventListener('input', () => this.onInput());
    // The caret moved without typing: the mention under it may be another one, or none.
    this.box.element.addEventListener('keyup', (e) => {
      if (['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) this.updateMentions();
    });
    this.box.element.addEventListener('click', () => this.updateMentions());
    this.box.element.addEventListener('focusout', () => this.mentions.hide());
    this.sendButton = button('Send', 'primary', 'Send (Enter)');
    this.sendButton.addEventListener('click', () => this.trySend());
    this.problem.setAttribute('aria-live', 'polite');
    const foot = el('div', 'composer-foot');
    foot.append(this.hint, this.problem, this.count);
    const line = el('div', 'composer-line');
    line.append(this.box.element, this.sendButton);
    const cancel = el('button', 'context-cancel', '×');
    cancel.type = 'button';
    cancel.title = 'Cancel (Escape)';
    cancel.setAttribute('aria-label', 'Cancel');
    cancel.addEventListener('click', () => this.setContext(undefined));
    this.contextBar.append(this.contextText, cancel);
    this.contextBar.hidden = true;
    this.contextBar.setAttribute('aria-live', 'polite');
    this.element.append(this.mentions.element, this.contextBar, this.attachments.element, line, foot, this.mentions.announcer);
    // A pasted or dropped file is attached, not typed: text pastes go on as before.
    this.box.element.addEventListener('paste', (e) => {
      if (this.attachments.takeFrom(e.clipboardData)) e.preventDefault();
    });
    this.element.addEventListener('dragover', (e) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    });
    this.element.addEventListener('drop', (e) => {
      if (this.attachments.takeFrom(e.dataTransfer)) e.preventDefault();
    });
    this.update();
  }

  setMaxBytes(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.update();
  }

  get draft(): string {
    return this.box.value;
  }

  set draft(text: string) {
    this.box.value = text;
    this.mentions.hide();
    this.update();
  }

  /** The names offered while the mention list is open. */
  get mentionNames(): string[] {
    return this.mentions.shown;
  }

  /** The room's members, whose names a mention offers. */
  setMembers(members: readonly MemberView[]): void {
    this.members = members;
    if (this.mentions.isOpen) this.updateMentions();
  }

  focus(): void {
    this.box.focus();
  }

  /** The draft to keep across a reload: while editing, the one the edit put aside (the edit itself,
   * kept without its bar, would go out as a new message). */
  get keptDraft(): string {
    return this.context?.kind === 'edit' ? this.setAside : this.box.value;
  }

  /** The reply or edit being written ('' for none), as the bar above the box reads. */
  get contextLabel(): string {
    return this.context?.label ?? '';
  }

  /** Starts a reply or an edit (`text`: the message's words, put in the box), or cancels one. */
  setContext(context: ComposerContext | undefined, text?: string): void {
    if (this.context?.kind === 'edit') this.box.value = this.setAside; // the edit's words go, the draft comes back
    if (context?.kind === 'edit') {
      this.setAside = this.box.value;
      this.box.value = text ?? '';
    }
    this.context = context;
    this.contextBar.hidden = !context;
    this.contextBar.classList.toggle('editing', context?.kind === 'edit');
    this.contextText.textContent = context?.label ?? '';
    this.mentions.hide();
    this.update();
    this.hooks.draftChanged(this.box.value);
    this.box.focus();
  }

  /** The message being replied to or edited is gone (deleted, cleared): so is the reply or edit. */
  dropContext(isThere: (key: string) => boolean): void {
    if (this.context && !isThere(this.context.key)) this.setContext(undefined);
  }

  private onKey(e: KeyboardEvent): void {
    // An IME composing text uses Enter to confirm a candidate, not to send.
    if (e.isComposing || e.keyCode === 229) return;
    if (this.mentions.isOpen && this.onMentionKey(e)) return;
    const plain = !e.shiftKey && !e.ctrlKey && !e.metaKey;
    if (e.key === 'Escape' && this.context) {
      e.preventDefault();
      e.stopPropagation();
      return this.setContext(undefined);
    }
    if (e.key === 'ArrowUp' && plain && e.altKey && this.hooks.toMessages) {
      e.preventDefault();
      return this.hooks.toMessages();
    }
    if (e.key === 'ArrowUp' && plain && !e.altKey && this.box.value === '' && !this.context && this.hooks.editLast) {
      e.preventDefault();
      return this.hooks.editLast();
    }
    if (e.key !== 'Enter' || e.shiftKey || e.altKey) return;
    e.preventDefault();
    this.trySend();
  }

  /** Keys that work the mention list while it is open; true if the key was one of them. */
  private onMentionKey(e: KeyboardEvent): boolean {
    const plain = !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey;
    if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && plain) this.mentions.move(e.key === 'ArrowDown' ? 1 : -1);
    else if ((e.key === 'Tab' || e.key === 'Enter') && plain) {
      const name = this.mentions.choice;
      if (name !== undefined) this.accept(name);
    } else if (e.key === 'Escape') {
      const q = mentionQuery(this.box.value, this.box.caret);
      this.dismissed = q && `${q.start}:${q.query}`;
      this.mentions.hide();
    } else return false;
    e.preventDefault();
    e.stopPropagation();
    return true;
  }

  private updateMentions(): void {
    const q = mentionQuery(this.box.value, this.box.caret);
    if (!q || `${q.start}:${q.query}` === this.dismissed) return this.mentions.hide();
    this.dismissed = undefined;
    this.mentions.show(mentionCandidates(this.members, q.query));
  }

  private accept(name: string): void {
    const q = mentionQuery(this.box.value, this.box.caret);
    this.mentions.hide();
    if (!q) return;
    const next = insertMention(this.box.value, q, name);
    this.box.setText(next.text, next.caret);
    this.update();
    this.hooks.draftChanged(next.text);
  }

  private onInput(): void {
    this.refusal = '';
    this.updateMentions();
    this.update();
    this.hooks.draftChanged(this.box.value);
    if (this.box.value.trim()) this.hooks.typed?.();
  }

  private trySend(): void {
    const text = this.box.value;
    if (this.attachments.count > 0 && this.context?.kind !== 'edit' && this.hooks.post) {
      const hooks = this.hooks;
      this.attachments.send(text.trim(), (m) => hooks.post?.(m));
      this.box.value = '';
      this.update();
      this.hooks.draftChanged('');
      this.box.focus();
      return;
    }
    const check = checkDraft(text, this.maxBytes);
    if (!check.canSend) {
      this.problem.textContent = check.problem || 'Type a message first.';
      this.hint.hidden = true;
      return;
    }
    const context = this.context;
    this.context = undefined;
    this.contextBar.hidden = true;
    this.hooks.send(text, context);
    this.box.value = context?.kind === 'edit' ? this.setAside : '';
    this.mentions.hide();
    this.update();
    this.hooks.draftChanged(this.box.value);
    this.box.focus();
  }

  private update(): void {
    const text = this.box.value;
    const check = checkDraft(text, this.maxBytes);
    const files = this.attachments.count > 0 && text.trim() === '';
    setDisabled(this.sendButton, !check.canSend && !files);
    this.count.textContent = check.count;
    this.count.classList.toggle('over', check.bytes > this.maxBytes);
    this.problem.textContent = files ? '' : check.problem || this.refusal;
    this.hint.hidden = text !== '';
    let lines = 1;
    for (let i = text.indexOf('\n'); i >= 0 && lines < MAX_ROWS; i = text.indexOf('\n', i + 1)) lines++;
    if (this.box.rows !== lines) this.box.rows = lines;
  }
}
