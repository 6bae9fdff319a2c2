// The hostile member's own process (`node hostile-main.js OPTIONS_JSON`), so that its load never
// shares an event loop with the honest members whose latency the soak measures. It says
// {ready} over IPC once its role members are in, sends its stats and exits when told to stop,
// and exits by itself at its deadline or when the soak goes away.
import type { Address } from '../../src/chat/types';
import { Hostile, type HostileRates } from './hostile';

export interface HostileOptions {
  relay: Address;
  host: string;
  rates: HostileRates;
  /** It stops by itself after this long, whatever happens to the soak. */
  maxSeconds: number;
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as HostileOptions;
  const hostile = new Hostile(opts.relay, opts.host, opts.rates);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= hostile.stop().then((stats) => {
      process.send?.({ stats }, () => process.exit(0));
      setTimeout(() => process.exit(0), 2000).unref();
    }));
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'stop') void stop();
  });
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => void stop(), opts.maxSeconds * 1000).unref();
  await hostile.start();
  process.send?.({ ready: true });
}

main().catch((err: unknown) => {
  process.send?.({ error: err instanceof Error ? err.message : String(err) });
  setTimeout(() => process.exit(1), 100);
});
