// Start Server's cluster settings (issue 15), read without `vscode` so the unit tests check them as the
// extension reads them: whatsudp.server.cluster (nats URLs; empty: a relay of its own), clusterReplicas,
// clusterCredentials (a .creds file) and advertise. User and password or token come from the extension
// host's environment (WHATSUDP_NATS_*), as for the CLI; no setting holds a secret.
import path from 'node:path';
import { clusterSetup, ClusterSetupError, type ClusterField, type ClusterSetupResult } from '../chat/cluster-setup';
import { ChatError } from '../chat/errors';

export const CLUSTER_SETTINGS: Record<ClusterField, string> = {
  servers: 'whatsudp.server.cluster',
  replicas: 'whatsudp.server.clusterReplicas',
  creds: 'whatsudp.server.clusterCredentials',
  advertise: 'whatsudp.server.advertise',
};

/** A cluster setting that cannot be used: the setting to open, and one sentence saying what to fix. */
export interface ClusterSettingProblem {
  setting: string;
  message: string;
}

/** What the settings ask for: no cluster, a cluster, or a problem to show (nothing is started then). */
export type ClusterSettings = { cluster?: ClusterSetupResult } | { problem: ClusterSettingProblem };

/** `get` reads a setting under `whatsudp.` (`server.cluster`); `legacy` says the legacy bridge is on. */
export function readClusterSettings(get: (key: string) => unknown, legacy: boolean, env: NodeJS.ProcessEnv = process.env): ClusterSettings {
  const text = (key: string): string => {
    const v = get(key);
    return typeof v === 'string' ? v.trim() : '';
  };
  const servers = text('server.cluster');
  if (servers === '') return {};
  const problem = (setting: string, message: string): ClusterSettings => ({ problem: { setting, message } });
  if (legacy) {
    return problem('whatsudp.legacy.enabled', `WhatsUDP server: whatsudp.legacy.enabled cannot be on with ${CLUSTER_SETTINGS.servers}: the original chat's lines carry no id the cluster could keep apart. Turn one of them off.`);
  }
  const creds = text('server.clusterCredentials');
  // The extension host's folder is nobody's choice: a relative path would point somewhere unexpected.
  if (creds !== '' && !path.isAbsolute(creds) && creds !== '~' && !creds.startsWith('~/')) {
    return problem(CLUSTER_SETTINGS.creds, `The setting ${CLUSTER_SETTINGS.creds} must be the full path of a NATS .creds file (or start with ~/), not "${creds}".`);
  }
  const replicas = get('server.clusterReplicas');
  try {
    return {
      cluster: clusterSetup(
        { servers, replicas: typeof replicas === 'number' || typeof replicas === 'string' ? replicas : undefined, creds, advertise: text('server.advertise') },
        CLUSTER_SETTINGS,
        env,
      ),
    };
  } catch (err) {
    if (err instanceof ClusterSetupError) {
      // The environment's credentials are VS Code's environment: where it was started from.
      if (err.field === 'env') {
        return problem(CLUSTER_SETTINGS.servers, `WhatsUDP server: ${err.message.replace(/\.$/, '')} (in VS Code's environment: set them where VS Code is started from, or use ${CLUSTER_SETTINGS.creds}).`);
      }
      const name = CLUSTER_SETTINGS[err.field];
      const said = err.message.startsWith(`${name}: `) ? `${name} cannot be used: ${err.message.slice(name.length + 2)}` : err.message;
      return problem(name, `The setting ${said}`);
    }
    if (err instanceof ChatError) return problem(CLUSTER_SETTINGS.servers, `WhatsUDP server: ${err.message}`);
    throw err;
  }
}

/** For the notification and the log: where the room is kept, and where members reach this relay. */
export function clusterSummary(r: ClusterSetupResult): string {
  const copies = (r.options.replicas ?? 1) === 1 ? '1 replica' : `${r.options.replicas} replicas`;
  return `NATS ${r.options.servers.join(', ')} (room streams of ${copies})`;
}
