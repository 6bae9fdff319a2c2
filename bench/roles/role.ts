// What a helper process offers the load generator: what it reports when ready, the requests it
// answers, and how it lets go of its sockets.
export interface Role {
  info: unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each request has its own arguments, which its handler types
  handlers: Record<string, (args: any) => unknown>;
  close(): Promise<void> | void;
}
