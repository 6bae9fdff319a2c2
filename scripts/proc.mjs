// Child processes for the project's scripts: every one bounded in time, and stopped by its own pid
// (its process group, so whatever it started goes too).
import { spawn } from 'node:child_process';

/**
 * Runs a command to its end. Resolves with { code, signal, output } where output is the last ~8 KB
 * (when stdio is piped); rejects only when the command cannot be started.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, timeoutMs: number, quiet?: boolean, onTimeout?: () => void }} opts
 */
export function runCommand(cmd, args, { cwd, env, timeoutMs, quiet = false, onTimeout }) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env,
      stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'],
      detached: true, // its own process group, stopped below by its pid
    });
    let output = '';
    const keep = (chunk) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const stopGroup = () => {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    };
    // Ctrl+C reaches only our own process group: pass it on to the child's.
    process.on('SIGINT', stopGroup);
    process.on('SIGTERM', stopGroup);
    const timer = setTimeout(() => {
      onTimeout?.();
      stopGroup();
      setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5_000).unref();
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      process.off('SIGINT', stopGroup);
      process.off('SIGTERM', stopGroup);
    };
    child.on('error', (err) => {
      done();
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      done();
      resolve({ code, signal, output });
    });
  });
}
