// "Seen" means shown to a person (issue 13). The panel says which seq was on screen while it was
// visible; this passes it to the room only while the VS Code window has the focus (otherwise once it
// gets it back, if the panel is still visible then), and never with whatsudp.readReceipts off.
import * as vscode from 'vscode';
import { Disposable } from './dispose';

export class SeenGate extends Disposable {
  /** The newest seq shown while the window did not have the focus. */
  private held = 0;

  constructor(
    private readonly send: (seq: number) => void,
    private readonly visible: () => boolean,
    private readonly enabled: () => boolean,
  ) {
    super();
    this._register(vscode.window.onDidChangeWindowState((s) => s.focused && this.flush()));
  }

  /** The panel showed the room up to `seq`. */
  shown(seq: number): void {
    if (!Number.isInteger(seq) || seq <= 0 || !this.enabled() || !this.visible()) return;
    this.held = Math.max(this.held, seq);
    if (vscode.window.state.focused) this.flush();
  }

  private flush(): void {
    const seq = this.held;
    this.held = 0;
    if (seq > 0 && this.enabled() && this.visible()) this.send(seq);
  }
}
