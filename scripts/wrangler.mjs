#!/usr/bin/env node
// Runs the project's wrangler CLI directly. Its launcher refuses Node < 22,
// but the CLI itself and workerd run on Node 20, the Node these machines have.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve('wrangler/package.json')), 'wrangler-dist', 'cli.js');
const child = spawn(process.execPath, ['--no-warnings', cli, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
