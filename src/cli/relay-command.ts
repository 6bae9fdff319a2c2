// `whatsudp relay`: runs a relay until a signal. Its first stdout line is the bound address, so a
// script (or a test) started with `--port 0` learns the port by reading one line.
import { Relay } from '../chat';
import { formatAddress } from '../chat';
import type { RelayArgs } from './args';
import { escapeName, formatMessage } from './format';
import { EXIT } from './help';
import { bounded, errorLine, exitCodeFor, type Io, type Session } from './session';

export function startRelay(args: RelayArgs, io: Io): Session {
  let relay: Relay | undefined;
  let stopping = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));

  Relay.start(args.options).then(
    (r) => {
      relay = r;
      if (stopping) {
        void r.close();
        return;
      }
      io.out(formatAddress(r.address()));
      for (const notice of r.notices) io.err(`whatsudp: note: ${notice}`);
      if (args.log) {
        r.on('message', (msg) => io.out(formatMessage(msg.sender.name, msg)));
        r.on('joined', (m) => io.err(`* ${escapeName(m.name)} joined from ${formatAddress(m.address)}`));
        r.on('left', (m) => io.err(`* ${escapeName(m.name)} left${m.reason === 'timeout' ? ' (no heartbeat)' : ''}`));
        r.on('warning', (err) => io.err(`whatsudp: warning: ${escapeName(err.message)}`));
      }
      // Without --log a relay stays quiet about traffic: a busy room must not fill a log nobody reads.
    },
    (err: unknown) => {
      io.err(errorLine(err));
      finish(exitCodeFor(err));
    },
  );

  return {
    done,
    async stop() {
      stopping = true;
      if (relay) await bounded(relay.close(), 2000);
      finish(EXIT.OK);
    },
  };
}
