// Every message the extension shows goes through here: it is logged, recorded for the tests' hook
// (`notifications`), and shown without making the caller wait for the user. Commands then return at
// once (tests await them) while the action buttons still work through `onAction`.
import * as vscode from 'vscode';
import { ChatError } from '../chat';

export type Level = 'info' | 'warning' | 'error';

export class Notifier {
  /** Every message shown, oldest first (the tests read it; bounded so a long session cannot grow it). */
  readonly shown: string[] = [];

  constructor(readonly log: vscode.LogOutputChannel) {}

  /** Shows a message; `onAction` runs with the button the user picked, if any. Never throws. */
  show(level: Level, message: string, actions: Record<string, () => unknown> = {}): void {
    this.shown.push(message);
    if (this.shown.length > 200) this.shown.shift();
    this.log[level === 'warning' ? 'warn' : level](message);
    const labels = Object.keys(actions);
    const shown =
      level === 'error'
        ? vscode.window.showErrorMessage(message, ...labels)
        : level === 'warning'
          ? vscode.window.showWarningMessage(message, ...labels)
          : vscode.window.showInformationMessage(message, ...labels);
    shown.then(
      async (picked) => {
        if (picked === undefined) return;
        try {
          await actions[picked]?.();
        } catch (err) {
          this.report(err, `After "${picked}"`);
        }
      },
      (err: unknown) => this.log.error('Could not show a message', err),
    );
  }

  info(message: string, actions?: Record<string, () => unknown>): void {
    this.show('info', message, actions);
  }

  warn(message: string, actions?: Record<string, () => unknown>): void {
    this.show('warning', message, actions);
  }

  error(message: string, actions?: Record<string, () => unknown>): void {
    this.show('error', message, actions);
  }

  /** For errors nobody planned for: the user gets one sentence, the log gets the details. */
  report(err: unknown, doing: string, actions?: Record<string, () => unknown>): void {
    if (err instanceof ChatError) {
      this.error(err.message, actions);
      return;
    }
    this.log.error(doing, err);
    const why = err instanceof Error ? err.message : String(err);
    this.error(`WhatsUDP: ${doing} failed: ${why}`, { 'Show Log': () => this.log.show(), ...actions });
  }
}

/** Runs a command body; an error becomes a message rather than a rejected command. */
export function guarded<A extends unknown[]>(
  notifier: Notifier,
  doing: string,
  fn: (...args: A) => unknown,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      notifier.report(err, doing);
    }
  };
}
