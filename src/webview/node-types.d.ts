// src/common/messages.ts imports MessageBody from src/protocol/packets.ts, whose other packet
// types mention Node's Buffer. The webview never receives those, but type-checking the import
// still needs the name; this stands in for it without pulling @types/node into browser code.
interface Buffer extends Uint8Array {}
