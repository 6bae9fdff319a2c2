// `whatsudp chat --legacy`: the same terminal client over the original Python chat's plain-text
// datagrams. The seed relay neither acknowledges nor sequences, so this prints what its broadcast
// brings (own lines included, once) and, at the end of input, waits a while for its own echoes.
import { LegacyClient } from '../chat';
import { formatAddress } from '../chat';
import type { ChatArgs } from './args';
import { escapeName, formatMessage, jsonLine, legacyJson } from './format';
import { EXIT } from './help';
import { MessageLines } from './input';
import { bounded, errorLine, exitCodeFor, type Io, type Session } from './session';

export function startLegacyChat(args: ChatArgs, io: Io): Session {
  const client = new LegacyClient({ server: args.server, name: args.name });
  let over = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let lines: MessageLines | undefined;
  const end = (code: number): void => {
    over = true;
    lines?.close();
    finish(code);
  };

  client.on('message', (m) => {
    io.out(args.json ? jsonLine(legacyJson(m.name, m.text, m.time)) : formatMessage(m.name, { kind: 'text', text: m.text }, true));
  });
  client.on('warning', (err) => io.err(`whatsudp: warning: ${escapeName(err.message)}`));

  client.start().then(
    () => {
      if (over) return;
      for (const notice of client.notices) io.err(`whatsudp: note: ${notice}`);
      // There is no join to wait for: the seed relay cannot tell whether anyone listens.
      io.err(`* sending to ${formatAddress(args.server)} as ${escapeName(args.name)} (original chat, no acknowledgements)`);
      lines = new MessageLines(io, (text) => client.send(text), () => {
        if (!over) void endOfInput();
      });
    },
    (err: unknown) => {
      io.err(errorLine(err));
      end(exitCodeFor(err));
    },
  );

  async function endOfInput(): Promise<void> {
    // The echo is the only sign a line reached the relay; its absence proves nothing (a lost
    // broadcast looks the same), so it is a note, and the exit code stays 0 as the seed's would.
    const echoed = await client.waitForEchoes(args.waitMs);
    if (over) return;
    if (!echoed) {
      const n = client.unechoed();
      io.err(`whatsudp: note: ${n} datagram${n === 1 ? '' : 's'} did not come back in the relay's broadcast within ${args.waitMs} ms (the original chat has no acknowledgements)`);
    }
    await bounded(client.close(), 1000);
    end((lines?.problems ?? 0) > 0 ? EXIT.UNDELIVERED : EXIT.OK);
  }

  return {
    done,
    async stop() {
      if (over) return;
      over = true;
      await bounded(client.close(), 1000);
      end(EXIT.OK);
    },
  };
}
