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

  /** Calls each listener on its own: one that throws must not keep the others from the event, nor
   * abort the engine in the middle of delivering a batch of messages. What it threw becomes a
   * 'warning' (a throwing 'warning' listener is ignored, so this cannot loop). */
  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    for (const listener of this.inner.rawListeners(event) as ((...a: unknown[]) => void)[]) {
      try {
        listener(...args);
      } catch (err) {
        if (event !== 'warning') {
          const message = err instanceof Error ? err.message : String(err);
          (this.emit as (e: string, ...a: unknown[]) => void)('warning', new Error(`A '${event}' listener failed: ${message}`));
        }
      }
    }
  }

  /** Whether anyone listens: lets an emitter skip building an event nobody receives. */
  protected listens<K extends keyof E & string>(event: K): boolean {
    return this.inner.listenerCount(event) > 0;
  }

  protected removeAllListeners(): void {
    this.inner.removeAllListeners();
  }
}
