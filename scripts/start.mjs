#!/usr/bin/env node
// `npm start`'s server, from the command line: the Worker and the demo page on one origin
// (scripts/local-server.mjs), until Ctrl-C or SIGTERM.
//   --ip, --port     where to listen (default localhost:8787, as `wrangler dev`)
//   --persist-to     directory for Durable Objects and R2 (npm start: .wrangler/state); none: memory
//   --var NAME:VALUE a binding that wins over .dev.vars and wrangler.toml (repeatable)
//   --log-level      none, error, warn, info (default: one line per request) or debug
//   --watch          rebuild and reload the Worker when a file it is built from changes
import { parseArgs } from 'node:util';
import { startLocalServer } from './local-server.mjs';

const { values } = parseArgs({
  options: {
    ip: { type: 'string' },
    port: { type: 'string' },
    'persist-to': { type: 'string' },
    var: { type: 'string', multiple: true, default: [] },
    'log-level': { type: 'string', default: 'info' },
    watch: { type: 'boolean', default: false },
  },
});
const vars = Object.fromEntries(
  values.var.map((pair) => {
    const colon = pair.indexOf(':');
    if (colon < 1) throw new Error(`--var ${pair}: expected NAME:VALUE`);
    return [pair.slice(0, colon), pair.slice(colon + 1)];
  }),
);

const server = await startLocalServer({
  host: values.ip,
  port: values.port === undefined ? undefined : Number(values.port),
  persistTo: values['persist-to'],
  vars,
  logLevel: values['log-level'],
  watch: values.watch,
});
const where = values['persist-to'] ? `Durable Objects and R2 in ${values['persist-to']}` : 'storage in memory';
console.log(`edgekms: serving ${server.url} (${where}); Ctrl-C stops it`);

// Miniflare stops workerd and exits on SIGINT and SIGTERM (and at any exit); a closed terminal too.
process.on('SIGHUP', () => process.exit(129));
