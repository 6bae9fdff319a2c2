// Standard input as messages, one a line, shared by `chat` and `chat --legacy`: empty lines are
// skipped, and a line that cannot be sent is named on stderr and counted (it makes the exit code 5).
import { createInterface, type Interface } from 'node:readline';
import { textProblem } from '../common/message';
import { errorLine, type Io } from './session';

export class MessageLines {
  problems = 0;
  private readonly rl: Interface;
  /** The number of the line read last (from 1): what a line sent later is named by if it fails. */
  lineNo = 0;
  private closed = false;

  constructor(
    private readonly io: Io,
    send: (text: string) => void,
    atEnd: () => void,
  ) {
    this.rl = createInterface({ input: io.stdin, crlfDelay: Infinity, terminal: false });
    this.rl.on('line', (line) => {
      this.lineNo++;
      if (this.closed) return;
      const problem = textProblem(line);
      if (problem?.code === 'EMPTY') return; // blank lines are skipped, as the help says
      if (problem) {
        this.problems++;
        io.err(`whatsudp: line ${this.lineNo} not sent: ${problem.message}`);
        return;
      }
      try {
        send(line);
      } catch (err) {
        this.notSent(this.lineNo, err);
      }
    });
    this.rl.on('close', () => {
      if (!this.closed) atEnd();
    });
  }

  /** Line `lineNo` could not be sent (`err` says why): said on stderr, and counted. */
  notSent(lineNo: number, err: unknown): void {
    this.problems++;
    this.io.err(`whatsudp: line ${lineNo} not sent: ${errorLine(err).replace(/^whatsudp: /, '')}`);
  }

  /** Stops reading (the session is over for another reason); `atEnd` is not called. */
  close(): void {
    this.closed = true;
    this.rl.close();
  }
}
