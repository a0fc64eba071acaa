// Memory benchmark: how much the workerd process keeps after a load over many
// keys. Starts the local server (scripts/start.mjs) on loopback (fresh storage, random secrets),
// reads workerd's resident memory (VmRSS from /proc) at idle, creates KEYS
// keys, sends REQUESTS requests spread over them (Encrypt, Decrypt,
// GenerateDataKey, DescribeKey), then reads the RSS again right after the load
// and while the service sits idle. Bounded: a fixed number of requests, a
// fixed concurrency, a deadline; only 127.0.0.1 is contacted.
import { readdirSync, readFileSync } from 'node:fs';
import { assertLoopback } from './load.mjs';
import { fixed, table, writeResults } from './report.mjs';
import { withWorker } from './worker-process.mjs';

export const name = 'memory';
export const description = 'workerd resident memory at idle, before and after a load over many keys, on loopback';

const MiB = 1024 * 1024;

function integerFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`bench: ${name}=${raw} is not a non-negative integer`);
  return value;
}

/**
 * The workerd processes of the process group, with their RSS in bytes: the
 * runtime that runs the Worker and its Durable Objects (started with an
 * inspector), and wrangler's dev proxy in front of it. [] without /proc.
 */
function workerdProcesses(pgid) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid || !comm.startsWith('workerd')) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const rss = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      const role = args.some((arg) => arg.startsWith('--inspector-addr')) ? 'runtime' : 'proxy';
      if (rss) found.push({ pid: Number(entry), role, bytes: Number(rss[1]) * 1024 });
    } catch {
      // exited meanwhile
    }
  }
  // The local server (scripts/start.mjs) runs one workerd, the runtime; only wrangler dev adds a proxy.
  if (found.length === 1) found[0].role = 'runtime';
  return found;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `count` tasks, `concurrency` at a time, stopping early at `deadline`. */
async function pool(count, concurrency, deadline, task) {
  let next = 0;
  let done = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count && Date.now() < deadline) {
      const index = next++;
      await task(index);
      done += 1;
    }
  });
  await Promise.all(lanes);
  return done;
}

function settings() {
  return {
    keys: integerFromEnv('BENCH_MEMORY_KEYS', 650),
    requests: integerFromEnv('BENCH_MEMORY_REQUESTS', 12_800),
    // More than one round tells growth that levels off from growth with every new key or request.
    rounds: Math.max(1, integerFromEnv('BENCH_MEMORY_ROUNDS', 1)),
    idleSeconds: integerFromEnv('BENCH_MEMORY_IDLE', 30),
    // Per round. One takes about two minutes on a busy two-core machine; the deadline only stops a hang.
    loadSeconds: integerFromEnv('BENCH_MEMORY_LOAD_TIMEOUT', 480),
  };
}

/** What run.mjs allows this benchmark: startup, the load's deadline, the idle wait, and slack. */
export function timeoutSeconds() {
  const { loadSeconds, idleSeconds, rounds } = settings();
  return 90 + rounds * (loadSeconds + idleSeconds) + 30;
}

/**
 * One round of load: creates `keys` keys, then sends `requests` requests
 * spread evenly over them, in passes of Encrypt, Decrypt, GenerateDataKey and
 * DescribeKey. Resolves with the number of keys created and requests sent.
 */
async function loadRound(call, { keys, requests, concurrency, deadline }) {
  const keyIds = [];
  const blobs = [];
  await pool(keys, concurrency, deadline, async () => {
    const created = await call('CreateKey', {});
    if (created) keyIds.push(created.KeyMetadata.KeyId);
  });
  if (keyIds.length === 0) throw new Error('memory: no key could be created');
  const context = { purpose: 'memory bench' };
  const sent = await pool(requests, concurrency, deadline, async (index) => {
    const slot = index % keyIds.length;
    const keyId = keyIds[slot];
    switch (Math.floor(index / keyIds.length) % 4) {
      case 0: {
        const out = await call('Encrypt', { KeyId: keyId, Plaintext: Buffer.from(`message ${index}`).toString('base64'), EncryptionContext: context });
        if (out) blobs[slot] = out.CiphertextBlob;
        break;
      }
      case 1:
        await (blobs[slot] ? call('Decrypt', { CiphertextBlob: blobs[slot], EncryptionContext: context }) : call('DescribeKey', { KeyId: keyId }));
        break;
      case 2:
        await call('GenerateDataKey', { KeyId: keyId, KeySpec: 'AES_256', EncryptionContext: context });
        break;
      default:
        await call('DescribeKey', { KeyId: keyId });
    }
  });
  return { created: keyIds.length, sent };
}

export async function run({ log = console.error, connections = 32 } = {}) {
  const { keys, requests, rounds, idleSeconds, loadSeconds } = settings();
  const concurrency = Math.min(connections, 16);

  log('memory: starting the local server on 127.0.0.1 (fresh storage, random MASTER_KEY and ADMIN_TOKEN)');
  // THROTTLE_RATE=0: one principal sends everything, faster than its default rate limit.
  return withWorker({ vars: { THROTTLE_RATE: '0' } }, async (worker) => {
    const failures = new Map();
    const call = async (operation, body) => {
      const url = `${worker.origin}/v1/${operation}`;
      assertLoopback(url);
      const fail = (reason) => {
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
        return undefined;
      };
      let response;
      let text;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${worker.adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
        text = await response.text();
      } catch (error) {
        return fail(`${operation}: ${error.cause?.code ?? error.cause?.message ?? error.message}`);
      }
      if (response.status !== 200) return fail(`${operation} ${response.status} ${text.slice(0, 120)}`);
      return JSON.parse(text);
    };
    const samples = [];
    /** RSS in MiB of the runtime, of wrangler's proxy, and their sum (NaN for one not found). */
    const sample = (label) => {
      const processes = workerdProcesses(worker.pid);
      const of = (role) => processes.filter((p) => p.role === role).reduce((sum, p) => sum + p.bytes, 0) / MiB || NaN;
      const figures = { label, runtime: of('runtime'), proxy: of('proxy') };
      figures.total = processes.length === 0 ? NaN : processes.reduce((sum, p) => sum + p.bytes, 0) / MiB;
      samples.push(figures);
      log(`memory: ${label}: workerd RSS ${fixed(figures.runtime)} MiB runtime + ${fixed(figures.proxy)} MiB other workerd (wrangler dev's proxy, if any)`);
      return figures;
    };

    // Warm the isolate up so the first figure is the idle service, not an unloaded one.
    await call('GenerateRandom', { NumberOfBytes: 16 });
    await sleep(2_000);
    const rows = [];
    const row = (name, f) => rows.push([name, fixed(f.runtime), fixed(f.proxy), fixed(f.total)]);
    const before = sample('idle, before the load');
    row('idle, before the load', before);

    let created = 0;
    let sent = 0;
    const started = Date.now();
    let idle = before;
    for (let round = 1; round <= rounds; round++) {
      const outcome = await loadRound(call, { keys, requests, concurrency, deadline: Date.now() + loadSeconds * 1000 });
      created += outcome.created;
      sent += outcome.sent;
      const of = rounds > 1 ? ` (round ${round}: ${created} keys, ${sent} requests so far)` : '';
      log(`memory: round ${round}: ${outcome.created} keys created, ${outcome.sent} requests sent, ${fixed((Date.now() - started) / 1000)} s since the start`);
      row(`right after the load${of}`, sample(`right after round ${round}`));
      for (let waited = 0; waited < idleSeconds; ) {
        const step = Math.min(10, idleSeconds - waited);
        await sleep(step * 1000);
        waited += step;
        idle = sample(`idle ${waited} s after round ${round}`);
      }
      row(`idle, ${idleSeconds} s after the load${of}`, idle);
    }
    const loadSecondsTaken = (Date.now() - started) / 1000 - rounds * idleSeconds;
    rows.push(['growth kept at idle', fixed(idle.runtime - before.runtime), fixed(idle.proxy - before.proxy), fixed(idle.total - before.total)]);
    console.log(`\nmemory: ${rounds} x (${keys} new keys, ${requests} requests, ${concurrency} at a time, then ${idleSeconds} s idle); workerd RSS in MiB\n`);
    console.log(table(['', 'runtime', 'other workerd', 'total'], rows));
    console.log('\nruntime: the workerd that runs the Worker and its Durable Objects; other workerd: the dev proxy `wrangler dev` puts in front of it (the local server has none)');
    const failed = failures.size > 0 || !Number.isFinite(before.total) || sent < rounds * requests;
    if (failures.size > 0) console.log(`\nfailed requests:\n${[...failures].map(([reason, n]) => `  ${n} x ${reason}`).join('\n')}`);
    if (!Number.isFinite(before.total)) console.log('\nno workerd process found in /proc: memory not measured');
    if (sent < rounds * requests) console.log(`\nonly ${sent} of ${rounds * requests} requests were sent before the deadline (${loadSeconds} s per round)`);
    const results = {
      keysPerRound: keys,
      requestsPerRound: requests,
      rounds,
      keys: created,
      requests: sent,
      concurrency,
      idleSeconds,
      loadSeconds: loadSecondsTaken,
      rssMiB: { before, idle },
      samples,
      failures: Object.fromEntries(failures),
    };
    log(`memory: results written to ${writeResults('memory.json', results)}`);
    return { name, failed, below: false, results };
  });
}
