// `whatsudp discover`: searches this machine's networks for --timeout-ms, then prints one relay a
// line on stdout (or JSON) and a summary on stderr. It exits 0 whenever it ran, found or not, so a
// script tells "none" from "could not search" by the exit code alone.
import { RelayBrowser } from '../chat/discovery';
import type { DiscoverArgs } from './args';
import { formatRelay, relayJson } from './discover-format';
import { escapeName, jsonLine } from './format';
import { EXIT } from './help';
import { errorLine, exitCodeFor, type Io, type Session } from './session';

export function startDiscover(args: DiscoverArgs, io: Io): Session {
  let browser: RelayBrowser | undefined;
  let timer: NodeJS.Timeout | undefined;
  let over = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const started = Date.now();

  /** Prints what was found (also on Ctrl-C: what came so far is still worth having) and closes. */
  async function list(b: RelayBrowser, code: number): Promise<void> {
    over = true;
    clearTimeout(timer);
    const relays = b.relays();
    await b.close();
    for (const r of relays) io.out(args.json ? jsonLine(relayJson(r)) : formatRelay(r));
    const where = [...new Set(b.searched.map((i) => escapeName(i.name)))].join(', ');
    const ms = Date.now() - started;
    if (where === '') io.err('* searched nowhere: no network interface but loopback');
    else if (relays.length === 0) io.err(`* no relay answered on ${where} within ${ms} ms (relays are found only when started with --announce)`);
    else io.err(`* ${relays.length} relay${relays.length === 1 ? '' : 's'} found on ${where} in ${ms} ms`);
    finish(code);
  }

  RelayBrowser.start({ interfaces: args.interfaces.length > 0 ? args.interfaces : undefined }).then(
    (b) => {
      browser = b;
      if (over) {
        void b.close();
        return;
      }
      for (const notice of b.notices) io.err(`whatsudp: note: ${notice}`);
      // Warnings are other programs' mDNS chatter that does not decode: nothing a user can act on.
      b.on('warning', () => undefined);
      timer = setTimeout(() => void list(b, EXIT.OK), b.searched.length === 0 ? 0 : args.timeoutMs);
    },
    (err: unknown) => {
      over = true;
      io.err(errorLine(err));
      finish(exitCodeFor(err));
    },
  );

  return {
    done,
    async stop() {
      if (over) return;
      if (browser) await list(browser, EXIT.OK);
      else {
        over = true;
        finish(EXIT.OK);
      }
    },
  };
}
