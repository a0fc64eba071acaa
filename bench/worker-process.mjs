// Starts the EdgeKMS Worker as `npm start` runs it (scripts/start.mjs) on
// loopback, with throw-away secrets and storage, and stops it again: its whole
// process group (node, esbuild, workerd), also on error, Ctrl-C or SIGTERM.
// Reusable by every benchmark, and by the tests that need the server's process.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LOOPBACK = '127.0.0.1';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LAUNCHER = join(ROOT, 'scripts', 'start.mjs');
const LOG_LINES = 200;

/** Output the server always prints and that says nothing about the service. */
const HARMLESS = [/^Using secrets defined in /, /^edgekms: serving /, /^\[mf:info\] Ready on /, /^\s*$/];

/**
 * A fingerprint (newest mtime and file count) of what the Worker is built
 * from. If it changes during a benchmark, the figures are those of the build
 * the server started with, not of the files as they are now.
 */
export function sourceStamp(paths = ['worker', 'wrangler.toml', 'demo/static']) {
  let newest = 0;
  let files = 0;
  const visit = (path) => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else {
      files += 1;
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const path of paths) visit(join(ROOT, path));
  return `${files}:${newest}`;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * CPU seconds (user + system) used so far by the live processes of one
 * process group, from /proc; NaN where /proc is not available. The server
 * runs workerd in its group, so this is the server side's CPU time.
 */
export function groupCpuSeconds(pgid) {
  let ticks = 0;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      // Fields after "(comm)": state ppid pgrp session ... utime(14) stime(15).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return NaN;
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

const live = new Set();
let handlersInstalled = false;

/** Kills every worker still running; synchronous, so it also works in 'exit'. */
function killAll(signal) {
  for (const worker of live) worker.kill(signal);
}

function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const worker of live) {
      worker.kill('SIGKILL');
      rmSync(worker.persistTo, { recursive: true, force: true });
    }
  });
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.once(signal, () => {
      if (live.size > 0) process.stderr.write(`\nbench: ${signal}, stopping the Worker\n`);
      process.exitCode = code;
      killAll('SIGTERM');
      // Give the server a moment to take workerd down itself; 'exit' SIGKILLs the rest.
      setTimeout(() => process.exit(code), 500);
    });
  }
}

/**
 * Starts the server and resolves once it answers HTTP.
 *
 * vars: bindings given with --var; these win over `.dev.vars` and wrangler.toml.
 *       MASTER_KEY and ADMIN_TOKEN are generated unless given.
 * ready: async (origin) => boolean; the default accepts any HTTP response.
 * Returns { origin, port, adminToken, vars, persistTo, logs(), cpuSeconds(), stop() }.
 */
export async function startWorker({
  vars = {},
  ready = async () => true,
  startupTimeoutMs = 60_000,
  logLevel = 'warn',
  verbose = process.env.BENCH_VERBOSE === '1',
} = {}) {
  installHandlers();
  const adminToken = vars.ADMIN_TOKEN ?? randomBytes(24).toString('base64url');
  const allVars = { MASTER_KEY: randomBytes(32).toString('base64'), ...vars, ADMIN_TOKEN: adminToken };
  for (const [name, value] of Object.entries(allVars)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /\s/.test(String(value))) {
      throw new Error(`bench: variable ${name} cannot be passed with --var`);
    }
  }
  const port = await freePort();
  const persistTo = mkdtempSync(join(tmpdir(), 'edgekms-bench-'));
  const args = [
    LAUNCHER,
    '--ip', LOOPBACK, '--port', String(port),
    '--persist-to', persistTo,
    '--log-level', logLevel,
    ...Object.entries(allVars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    detached: true, // its own process group, so that stop() reaches workerd too
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', WRANGLER_SEND_METRICS: 'false' },
  });

  const lines = [];
  const record = (chunk) => {
    for (const line of chunk.toString().split('\n')) {
      if (line === '') continue;
      lines.push(line);
      if (lines.length > LOG_LINES) lines.shift();
      if (verbose || !HARMLESS.some((re) => re.test(line))) process.stderr.write(`  [server] ${line}\n`);
    }
  };
  child.stdout.on('data', record);
  child.stderr.on('data', record);

  let exited = null;
  const exitedPromise = new Promise((resolve) => {
    const done = (how) => {
      exited ??= how;
      resolve();
    };
    child.once('exit', (code, signal) => done({ code, signal }));
    child.once('error', (error) => {
      record(`spawn failed: ${error.message}`);
      done({ code: null, signal: error.code ?? 'spawn error' });
    });
  });

  const handle = {
    origin: `http://${LOOPBACK}:${port}`,
    port,
    adminToken,
    vars: allVars,
    persistTo,
    pid: child.pid,
    logs: () => lines.join('\n'),
    /** CPU seconds used so far by the server and workerd (Linux), NaN elsewhere. */
    cpuSeconds: () => groupCpuSeconds(child.pid),
    /** Signals the whole process group; workerd may outlive the server's node, so also after exit. */
    kill(signal) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    },
    /** Stops the process group (SIGTERM, then SIGKILL after 5 s) and removes the storage. */
    async stop() {
      if (!exited) {
        handle.kill('SIGTERM');
        const timer = setTimeout(() => handle.kill('SIGKILL'), 5_000);
        await exitedPromise;
        clearTimeout(timer);
      }
      // The server may be gone while a workerd it started lingers in the group.
      handle.kill('SIGKILL');
      rmSync(persistTo, { recursive: true, force: true });
      live.delete(handle);
    },
  };
  live.add(handle); // until stop(): the exit handler kills it and removes its storage

  const deadline = Date.now() + startupTimeoutMs;
  try {
    for (;;) {
      if (exited) {
        throw new Error(`the server exited during startup (${exited.signal ?? `code ${exited.code}`})`);
      }
      if (Date.now() > deadline) {
        throw new Error(`the server did not answer on ${handle.origin} within ${startupTimeoutMs / 1000} s`);
      }
      try {
        const response = await fetch(`${handle.origin}/`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        if (await ready(handle.origin)) return handle;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await handle.stop();
    error.message += `\n--- last server output ---\n${handle.logs() || '(none)'}`;
    throw error;
  }
}

/**
 * Runs `use(worker)` with a Worker started as startWorker starts one, and stops it afterwards
 * whatever happens; a failure carries the server's last output, which usually names the cause.
 */
export async function withWorker(options, use) {
  const worker = await startWorker(options);
  try {
    return await use(worker);
  } catch (error) {
    error.message += `\n--- last server output ---\n${worker.logs() || '(none)'}`;
    throw error;
  } finally {
    await worker.stop();
  }
}
