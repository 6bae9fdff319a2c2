// What a helper process offers the load generator: what it reports when ready, the requests it
// answers, and how it lets go of its sockets.
export interface Role {
  info: unknown;
  handlers: Record<string, (args: any) => unknown>;
  close(): Promise<void> | void;
}
