// The chat engine: plain Node, no `vscode`. The extension, the CLI and the tests use it through here.
export * from './types';
export * from './errors';
export { TypedEmitter } from './emitter';
export * from './validate';
export { replaceFile, replaceFileSync, type ReplaceOptions } from './fs';
export { CLIENT_TIMER_OPTIONS, RELAY_LIMIT_OPTIONS, RELAY_TIMER_OPTIONS, showDefault, showValue, type NumberOption, type OptionTable } from './options';
export { ChatClient } from './client/client';
export { Relay } from './relay/relay';
export { LegacyClient } from './legacy/client';
export type { MessageBody, MessageKind, SendableBody } from '../protocol/packets';
export { isSendable, type PlaceholderBody } from '../common/message';
export { DEFAULT_PORT, MAX_TEXT_BYTES, MAX_NAME_CHARS } from '../protocol/packets';
