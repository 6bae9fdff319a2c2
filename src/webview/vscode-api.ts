// The webview's side of the host channel: one typed post(), and the panel state VS Code keeps
// across reloads of the webview (getState/setState survive a hidden panel being torn down).
import type { WebviewToHost } from '../common/messages';
import type { Anchor } from './timeline';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

// May be called only once per page load.
const api = acquireVsCodeApi();

export function post(message: WebviewToHost): void {
  api.postMessage(message);
}

export interface PanelState {
  draft: string;
  /** Absent when the reader was at the bottom (then we stay pinned there). */
  anchor?: Anchor;
  membersOpen?: boolean;
}

export function loadState(): PanelState {
  const s = api.getState() as Partial<PanelState> | undefined;
  const anchor = s?.anchor;
  return {
    draft: typeof s?.draft === 'string' ? s.draft : '',
    anchor: anchor && typeof anchor.key === 'string' && typeof anchor.delta === 'number' ? anchor : undefined,
    membersOpen: typeof s?.membersOpen === 'boolean' ? s.membersOpen : undefined,
  };
}

export function saveState(state: PanelState): void {
  api.setState(state);
}
