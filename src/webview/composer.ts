// The message box. Enter sends, Shift+Enter makes a new line (Ctrl/Cmd+Enter also sends). The
// byte count and the reason a draft cannot be sent are shown while typing (see draft.ts).
import { el } from './dom';
import { checkDraft } from './draft';
import { button, setDisabled, textArea, type TextBox } from './toolkit';

export interface ComposerHooks {
  send(text: string): void;
  draftChanged(text: string): void;
}

const MAX_ROWS = 8;

export class Composer {
  readonly element = el('div', 'composer');
  private readonly box: TextBox;
  private readonly sendButton: HTMLElement;
  private readonly count = el('span', 'count');
  private readonly problem = el('span', 'problem');
  private readonly hint = el('span', 'hint', 'Enter to send · Shift+Enter for a new line');
  private maxBytes = 65536;

  constructor(private readonly hooks: ComposerHooks) {
    // A short placeholder: a long one wraps and is cut off in a one-row box on a narrow panel.
    this.box = textArea('Message', 'Message');
    this.box.rows = 1;
    this.box.element.classList.add('input');
    this.box.element.addEventListener('keydown', (e) => this.onKey(e));
    this.box.element.addEventListener('input', () => this.onInput());
    this.sendButton = button('Send', 'primary', 'Send (Enter)');
    this.sendButton.addEventListener('click', () => this.trySend());
    this.problem.setAttribute('aria-live', 'polite');
    const foot = el('div', 'composer-foot');
    foot.append(this.hint, this.problem, this.count);
    const line = el('div', 'composer-line');
    line.append(this.box.element, this.sendButton);
    this.element.append(line, foot);
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
    this.update();
  }

  focus(): void {
    this.box.focus();
  }

  private onKey(e: KeyboardEvent): void {
    // An IME composing text uses Enter to confirm a candidate, not to send.
    if (e.key !== 'Enter' || e.isComposing || e.keyCode === 229) return;
    if (e.shiftKey || e.altKey) return;
    e.preventDefault();
    this.trySend();
  }

  private onInput(): void {
    this.update();
    this.hooks.draftChanged(this.box.value);
  }

  private trySend(): void {
    const text = this.box.value;
    const check = checkDraft(text, this.maxBytes);
    if (!check.canSend) {
      this.problem.textContent = check.problem || 'Type a message first.';
      this.hint.hidden = true;
      return;
    }
    this.hooks.send(text);
    this.box.value = '';
    this.update();
    this.hooks.draftChanged('');
    this.box.focus();
  }

  private update(): void {
    const text = this.box.value;
    const check = checkDraft(text, this.maxBytes);
    setDisabled(this.sendButton, !check.canSend);
    this.count.textContent = check.count;
    this.count.classList.toggle('over', check.bytes > this.maxBytes);
    this.problem.textContent = check.problem;
    this.hint.hidden = text !== '';
    let lines = 1;
    for (let i = text.indexOf('\n'); i >= 0 && lines < MAX_ROWS; i = text.indexOf('\n', i + 1)) lines++;
    if (this.box.rows !== lines) this.box.rows = lines;
  }
}
