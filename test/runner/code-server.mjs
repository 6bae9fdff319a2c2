// Starts code-server (VS Code's server + web workbench) on 127.0.0.1 and a free port, keeps its log,
// and stops it by its pid.
import { spawn } from 'node:child_process';

const LISTENING = /HTTP server listening on https?:\/\/127\.0\.0\.1:(\d+)/;
const START_TIMEOUT_MS = 60_000;

/**
 * @param {{ node: string, entry: string, sandbox: ReturnType<import('./sandbox.mjs').createSandbox>,
 *           env?: Record<string, string>, onLog?: (line: string) => void }} opts
 */
export async function startCodeServer({ node, entry, sandbox, env = {}, onLog = () => {} }) {
  const args = [
    entry,
    '--bind-addr', '127.0.0.1:0',
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--disable-proxy',
    '--ignore-last-opened',
    '--user-data-dir', sandbox.userData,
    '--extensions-dir', sandbox.extensions,
    '--config', sandbox.config,
    '--log', 'info', // at `warn` the extension host's lines are hidden
    '--vscode-option', 'enable-smoke-test-driver', // without it the workbench ignores the `payload` query
  ];
  const child = spawn(node, args, {
    cwd: sandbox.workspace,
    env: {
      ...process.env,
      ...sandbox.env,
      EXTENSIONS_GALLERY: '{}', // never ask an extension gallery
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: we stop it and its extension host by its pid
  });

  const lines = [];
  let exited = false;
  let portFound;
  const port = new Promise((resolve, reject) => {
    portFound = { resolve, reject };
  });
  const onData = (chunk) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      lines.push(line);
      onLog(line);
      const m = LISTENING.exec(line);
      if (m) portFound.resolve(Number(m[1]));
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.on('error', (err) => portFound.reject(new Error(`cannot start code-server: ${err.message}`)));
  const closed = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true;
      portFound.reject(new Error(`code-server exited before listening (${signal ?? `exit ${code}`}):\n${lines.slice(-20).join('\n')}`));
      resolve();
    });
  });

  // Should this process end without stop() (an uncaught error, process.exit), take code-server along.
  const killOnExit = () => signalGroup(child.pid, 'SIGKILL');
  process.on('exit', killOnExit);
  const server = {
    pid: child.pid,
    log: () => lines.join('\n'),
    get exited() {
      return exited;
    },
    async stop() {
      process.off('exit', killOnExit);
      if (exited) return;
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 5_000);
      await closed;
      clearTimeout(timer);
      // The extension host may outlive the server for a moment; it is in the same group.
      signalGroup(child.pid, 'SIGKILL');
    },
  };
  const timer = setTimeout(() => portFound.reject(new Error(`code-server did not listen within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
  try {
    server.port = await port;
    return server;
  } catch (err) {
    await server.stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
