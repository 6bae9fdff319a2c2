// A warning that would repeat (every refresh fails the same way while NATS is away) said once a minute.

/** `warn`, but the same message again only after `everyMs`. */
export function quietly(warn: (message: string) => void, everyMs = 60_000): (message: string) => void {
  const said = new Map<string, number>();
  return (message) => {
    const now = Date.now();
    if (now - (said.get(message) ?? -Infinity) < everyMs) return;
    said.set(message, now);
    if (said.size > 256) said.delete(said.keys().next().value!);
    warn(message);
  };
}
