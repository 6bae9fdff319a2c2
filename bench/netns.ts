// The benchmark's network namespace for the legacy (broadcast) measure: the same as the tests' (lo up,
// the default route on lo, so a broadcast to 255.255.255.255 stays inside it and never reaches the
// machine's real interfaces, checked by a probe), deleted after the measure, also when it fails.
import { Netns } from '../test/unit/helpers/netns';

export { netnsUnavailable } from '../test/unit/helpers/netns';

/** Runs `fn` with a fresh namespace's name, and deletes the namespace afterwards. */
export async function withNetns<T>(fn: (name: string) => Promise<T>): Promise<T> {
  const ns = Netns.create();
  try {
    return await fn(ns.name);
  } finally {
    ns.delete();
  }
}
