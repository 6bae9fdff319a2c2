// Loads the cluster code on demand. It is a second bundle (dist/cluster.js) because it carries the NATS
// client, and esbuild splits only ESM: the CLI and extension bundles are CommonJS, so they `require` it by
// a path computed at run time, which esbuild leaves alone. Only types come from ./index here.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ChatError } from '../errors';
import type * as ClusterApi from './index';

export type ClusterModule = typeof ClusterApi;

let loaded: ClusterModule | undefined;

/** The cluster API: dist/cluster.js beside the running bundle, or ./index.js when compiled by tsc (tests). */
export function loadCluster(): ClusterModule {
  if (loaded) return loaded;
  const candidates = [path.join(__dirname, 'cluster.js'), path.join(__dirname, 'index.js')];
  const file = candidates.find((f) => existsSync(f));
  if (!file) throw new ChatError('BAD_OPTION', `The cluster code is missing (${candidates[0]}): rebuild with \`node esbuild.mjs\`.`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time is the point: esbuild must not bundle it
  loaded = require(file) as ClusterModule;
  return loaded;
}
