// `whatsudp relay --cluster nats://HOST:PORT[,...]` and its companions (issue 15): parsed into
// RelayOptions.cluster, every mistake one usage line (exit 2). Credentials come from --cluster-creds FILE
// or the environment, never from a flag's text (src/chat/cluster-setup.ts).
import { ChatError, type RelayClusterOptions } from '../chat';
import { clusterSetup, type ClusterField } from '../chat/cluster-setup';

export const CLUSTER_FLAGS: Record<ClusterField, string> = {
  servers: '--cluster',
  replicas: '--cluster-replicas',
  creds: '--cluster-creds',
  advertise: '--advertise',
};

export const CLUSTER_OPTION_SPEC = {
  cluster: { type: 'string' },
  'cluster-replicas': { type: 'string' },
  'cluster-creds': { type: 'string' },
  advertise: { type: 'string' },
} as const;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The cluster options, or undefined without --cluster; `usage` makes the error the CLI exits 2 with. */
export function relayCluster(v: Values, env: NodeJS.ProcessEnv, usage: (message: string) => Error): { cluster?: RelayClusterOptions; notes: string[] } {
  const text = (k: string): string | undefined => (typeof v[k] === 'string' ? v[k] : undefined);
  const servers = text('cluster');
  if (servers === undefined) {
    const stray = (['cluster-replicas', 'cluster-creds', 'advertise'] as const).find((k) => v[k] !== undefined);
    if (stray) throw usage(`--${stray} is for a clustered relay: add --cluster nats://HOST:PORT`);
    return { notes: [] };
  }
  if (v['legacy-bridge'] === true || v['legacy-broadcast'] !== undefined) {
    const flag = v['legacy-broadcast'] !== undefined ? '--legacy-broadcast' : '--legacy-bridge';
    throw usage(`--cluster and ${flag} cannot go together: the original chat's lines carry no id the cluster could keep apart, so run a relay of its own for it`);
  }
  for (const k of ['cluster-replicas', 'cluster-creds', 'advertise'] as const) {
    if (text(k)?.trim() === '') throw usage(`--${k} needs a value`);
  }
  try {
    const { options, notes } = clusterSetup({ servers, replicas: text('cluster-replicas'), creds: text('cluster-creds'), advertise: text('advertise') }, CLUSTER_FLAGS, env);
    return { cluster: options, notes };
  } catch (err) {
    if (err instanceof ChatError) throw usage(err.message.replace(/\.$/, ''));
    throw err;
  }
}
