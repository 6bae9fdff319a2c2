// `whatsudp chat --legacy`: the same terminal client over the original Python chat's plain-text
// datagrams. The seed relay neither acknowledges nor sequences, so this prints what its broadcast
// brings (own lines included, once) and, at the end of input, waits a while for its own echoes.
import { createInterface } from 'node:readline';
import { LegacyClient } from '../chat/legacy-client';
import { formatAddress } from '../chat/validate';
import { MAX_TEXT_BYTES } from '../protocol/packets';
import type { ChatArgs } from './args';
import { escapeName, formatMessage, jsonLine, legacyJson } from './format';
import { EXIT } from './help';
import { bounded, errorLine, exitCodeFor, type Io, type Session } from './session';

export function startLegacyChat(args: ChatArgs, io: Io): Session {
  const client = new LegacyClient({ server: args.server, name: args.name });
  let over = false;
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let rl: ReturnType<typeof createInterface> | undefined;
  const end = (code: number): void => {
    over = true;
    rl?.close();
    finish(code);
  };

  client.on('message', (m) => {
    io.out(args.json ? jsonLine(legacyJson(m.name, m.text, m.time)) : formatMessage(m.name, { kind: 'text', text: m.text }));
  });
  client.on('warning', (err) => io.err(`whatsudp: warning: ${escapeName(err.message)}`));

  let lineProblems = 0;
  client.start().then(
    () => {
      if (over) return;
      for (const notice of client.notices) io.err(`whatsudp: note: ${notice}`);
      // There is no join to wait for: the seed relay cannot tell whether anyone listens.
      io.err(`* sending to ${formatAddress(args.server)} as ${escapeName(args.name)} (original chat, no acknowledgements)`);
      let lineNo = 0;
      rl = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
      rl.on('line', (line) => {
        lineNo++;
        if (over || line.trim() === '') return;
        const bytes = Buffer.byteLength(line, 'utf8');
        if (bytes > MAX_TEXT_BYTES) {
          lineProblems++;
          io.err(`whatsudp: line ${lineNo} not sent: it has ${bytes} bytes, more than a message may have (${MAX_TEXT_BYTES})`);
          return;
        }
        try {
          client.send(line);
        } catch (err) {
          lineProblems++;
          io.err(`whatsudp: line ${lineNo} not sent: ${errorLine(err).replace(/^whatsudp: /, '')}`);
        }
      });
      rl.on('close', () => {
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
    end(lineProblems > 0 ? EXIT.UNDELIVERED : EXIT.OK);
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
