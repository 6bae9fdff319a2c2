// A transfer's progress on stderr: at a terminal one line that each update replaces (Io.status);
// otherwise, for a log, a line at every 10% so a 16 MiB upload writes ten lines, not thousands.
import { formatBytes } from './file-meta';
import type { Io } from './session';

/** `sending report.pdf: 42% (6.7 of 16.0 MiB)`: what one update says. */
export function progressText(verb: string, name: string, done: number, total: number): string {
  const percent = total === 0 ? 100 : Math.floor((done * 100) / total);
  return `${verb} ${name}: ${percent}% (${formatBytes(done)} of ${formatBytes(total)})`;
}

export class Progress {
  private lastTenth = -1;
  private ended = false;

  /** `name` is shown as given: the caller escapes a peer's name. */
  constructor(
    private readonly io: Io,
    private readonly verb: string,
    private readonly name: string,
  ) {}

  /** The engine's onProgress: plaintext bytes done of total. */
  readonly update = (done: number, total: number): void => {
    if (this.ended) return;
    const text = progressText(this.verb, this.name, done, total);
    if (this.io.status) return this.io.status(text);
    const tenth = total === 0 ? 10 : Math.floor((done * 10) / total);
    if (tenth <= this.lastTenth) return;
    this.lastTenth = tenth;
    this.io.err(`whatsudp: ${text}`);
  };

  /** The transfer is over: a terminal's line is cleared (what came of it is said by the caller). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.io.status?.('');
  }
}
