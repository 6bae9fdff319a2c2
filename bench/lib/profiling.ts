// `--profile`: CPU profiles of the relay during chosen phases, taken in separate repeats of those
// phases so that the figures in the table are never measured with a profiler attached.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Child } from './child';

let dir: string | undefined;

export function enableProfiles(to: string): void {
  dir = path.resolve(to);
  mkdirSync(dir, { recursive: true });
}

export const profiling = (): boolean => dir !== undefined;
export const profileDir = (): string | undefined => dir;

export const profilePath = (name: string): string => path.resolve(dir ?? '.', `${name}.cpuprofile`);

/** Runs `phase` with `child` profiled; returns the profile's name, or undefined when not profiling. */
export async function profiled(child: Child, name: string, phase: () => Promise<unknown>): Promise<string | undefined> {
  if (!dir) return undefined;
  await child.request('profileStart');
  try {
    await phase();
  } finally {
    await child.request('profileStop', { file: profilePath(name) });
  }
  return name;
}
