import { EventEmitter } from 'node:events';

/** An EventEmitter whose events and their arguments are typed by a record. */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly inner = new EventEmitter();

  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.inner.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.inner.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.inner.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    // A 'warning' nobody listens to must not throw the way an unhandled 'error' would.
    this.inner.emit(event, ...args);
  }

  protected removeAllListeners(): void {
    this.inner.removeAllListeners();
  }
}
