// Standard input as messages, one a line, shared by `chat` and `chat --legacy`: empty lines are
// skipped, and a line that cannot be sent is named on stderr and counted (it makes the exit code 5).
import { createInterface, type Interface } from 'node:readline';
import { MAX_TEXT_BYTES } from '../protocol/packets';
import { errorLine, type Io } from './session';

export class MessageLines {
  problems = 0;
  private readonly rl: Interface;
  private lineNo = 0;
  private closed = false;

  constructor(io: Io, send: (text: string) => void, atEnd: () => void) {
    this.rl = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
    this.rl.on('line', (line) => {
      this.lineNo++;
      if (this.closed || line.trim() === '') return;
      const bytes = Buffer.byteLength(line, 'utf8');
      if (bytes > MAX_TEXT_BYTES) {
        this.problems++;
        io.err(`whatsudp: line ${this.lineNo} not sent: it has ${bytes} bytes, more than a message may have (${MAX_TEXT_BYTES})`);
        return;
      }
      try {
        send(line);
      } catch (err) {
        this.problems++;
        io.err(`whatsudp: line ${this.lineNo} not sent: ${errorLine(err).replace(/^whatsudp: /, '')}`);
      }
    });
    this.rl.on('close', () => {
      if (!this.closed) atEnd();
    });
  }

  /** Stops reading (the session is over for another reason); `atEnd` is not called. */
  close(): void {
    this.closed = true;
    this.rl.close();
  }
}
