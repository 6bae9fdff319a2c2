// How a relay is told to join a cluster (issue 15), from the CLI's flags (`relay --cluster ...`) or Start
// Server's settings: the NATS servers, the stream's replicas, the address members reach it at, and the
// credentials. Secrets never come from a flag or a setting's text: from a .creds file, or from the
// environment (WHATSUDP_NATS_USER + WHATSUDP_NATS_PASSWORD, or WHATSUDP_NATS_TOKEN), so `ps` and a shared
// settings.json show none. Plain Node: the NATS client itself is loaded (loadCluster) only to check the
// server list, and only when a cluster is asked for.
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatError } from './errors';
import type { ClusterAuth } from './cluster/connect';
import { loadCluster } from './cluster/load';
import type { RelayClusterOptions } from './types';
import { formatAddress, parseAddress } from './validate';

/** The environment variables that carry NATS credentials. */
export const CLUSTER_ENV = { user: 'WHATSUDP_NATS_USER', pass: 'WHATSUDP_NATS_PASSWORD', token: 'WHATSUDP_NATS_TOKEN' } as const;

export type ClusterField = 'servers' | 'replicas' | 'creds' | 'advertise';

/** What the user wrote, as text: a flag's value or a setting's. */
export interface ClusterSetup {
  servers: string;
  replicas?: string | number;
  /** A NATS .creds file (`~/` is the home folder). */
  creds?: string;
  advertise?: string;
}

/** A cluster setting that cannot be used, naming which (`field`; `env` for the environment's credentials). */
export class ClusterSetupError extends ChatError {
  constructor(
    readonly field: ClusterField | 'env',
    message: string,
  ) {
    super('BAD_OPTION', message);
    this.name = 'ClusterSetupError';
  }
}

export interface ClusterSetupResult {
  options: RelayClusterOptions;
  /** Things to tell the operator that do not stop the relay (a creds file others can read). */
  notes: string[];
}

/**
 * RelayClusterOptions from what the user wrote; `names` says how each field is called where it was
 * written (`--cluster-replicas`, or `whatsudp.server.clusterReplicas`), so the one sentence of a
 * ClusterSetupError names the thing to fix.
 */
export function clusterSetup(input: ClusterSetup, names: Record<ClusterField, string>, env: NodeJS.ProcessEnv = process.env): ClusterSetupResult {
  const notes: string[] = [];
  let servers: string[];
  try {
    servers = loadCluster().parseClusterServers(input.servers);
  } catch (err) {
    if (err instanceof ChatError) throw new ClusterSetupError('servers', `${names.servers}: ${err.message}`);
    throw err;
  }
  const replicas = replicasOf(input.replicas, names.replicas);
  const advertise = input.advertise === undefined || input.advertise.trim() === '' ? undefined : advertiseOf(input.advertise, names.advertise);
  const creds = input.creds === undefined || input.creds.trim() === '' ? undefined : credsFile(input.creds.trim(), names.creds, notes);
  const auth = authOf(creds, names.creds, env);
  return {
    options: { servers, ...(auth ? { auth } : {}), ...(replicas !== undefined ? { replicas } : {}), ...(advertise ? { advertise } : {}) },
    notes,
  };
}

function replicasOf(value: string | number | undefined, name: string): 1 | 3 | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (n === 1 || n === 3) return n;
  throw new ClusterSetupError('replicas', `${name} must be 1 (one NATS server) or 3 (a cluster of three, which outlives one of them), not "${String(value)}".`);
}

function advertiseOf(text: string, name: string) {
  let a;
  try {
    a = parseAddress(text);
  } catch (err) {
    if (err instanceof ChatError) throw new ClusterSetupError('advertise', `${name} must be the HOST:PORT members reach this relay at: ${err.message}`);
    throw err;
  }
  if (a.port === 0) throw new ClusterSetupError('advertise', `${name} needs the port members reach this relay at, not 0.`);
  if (a.host === '0.0.0.0' || a.host === '::') {
    throw new ClusterSetupError('advertise', `${name} ${formatAddress(a)} means every interface, which no member can send to: give this machine's address as members reach it, such as 192.0.2.10:${a.port}.`);
  }
  return a;
}

/** The creds file's absolute path, once it reads as one (a JWT and an NKey seed, as `nsc` writes them). */
function credsFile(typed: string, name: string, notes: string[]): string {
  const file = path.resolve(typed === '~' || typed.startsWith('~/') ? path.join(os.homedir(), typed.slice(1)) : typed);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ClusterSetupError('creds', `${name}: cannot read the NATS creds file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  if (!/BEGIN NATS USER JWT/.test(text) || !/BEGIN USER NKEY SEED/.test(text)) {
    throw new ClusterSetupError('creds', `${name}: ${file} is not a NATS .creds file (it needs a user JWT and an NKey seed, as \`nsc generate creds\` writes them).`);
  }
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    notes.push(`the NATS creds file ${file} can be read by other users of this machine: chmod 600 it.`);
  }
  return file;
}

/** The credentials: the creds file, or the environment's user and password or token; one kind only. */
function authOf(creds: string | undefined, credsName: string, env: NodeJS.ProcessEnv): ClusterAuth | undefined {
  const get = (key: string): string | undefined => (env[key] === undefined || env[key] === '' ? undefined : env[key]);
  const user = get(CLUSTER_ENV.user);
  const pass = get(CLUSTER_ENV.pass);
  const token = get(CLUSTER_ENV.token);
  if (user !== undefined && pass === undefined) throw new ClusterSetupError('env', `${CLUSTER_ENV.user} is set without ${CLUSTER_ENV.pass}: set both (a NATS user and its password), or neither.`);
  if (pass !== undefined && user === undefined) throw new ClusterSetupError('env', `${CLUSTER_ENV.pass} is set without ${CLUSTER_ENV.user}: set both (a NATS user and its password), or neither.`);
  if (token !== undefined && user !== undefined) {
    throw new ClusterSetupError('env', `Both ${CLUSTER_ENV.token} and ${CLUSTER_ENV.user}/${CLUSTER_ENV.pass} are set: NATS takes one kind of credentials; unset one.`);
  }
  const fromEnv = token !== undefined ? CLUSTER_ENV.token : user !== undefined ? `${CLUSTER_ENV.user} and ${CLUSTER_ENV.pass}` : undefined;
  if (creds !== undefined && fromEnv !== undefined) {
    throw new ClusterSetupError('creds', `${credsName} and ${fromEnv} cannot go together: NATS takes one kind of credentials; drop the file or unset the environment's.`);
  }
  if (creds !== undefined) return { kind: 'creds', file: creds };
  if (token !== undefined) return { kind: 'token', token };
  if (user !== undefined && pass !== undefined) return { kind: 'password', user, pass };
  return undefined;
}

