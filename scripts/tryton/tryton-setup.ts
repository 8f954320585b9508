import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { ErpDemoData } from '../../backends/demo-data/demo-dataset.types';
import { TrytonErpConnector } from '../../connectors/erp/tryton/tryton-erp.connector';
import { freePorts } from '../../platform/free-ports';
import { seedTryton } from './tryton-seed';

/** The Tryton modules the connector relies on (their dependencies come along). */
export const TRYTON_MODULES = [
  'sale',
  'stock',
  'production',
  'account_invoice',
  'account_invoice_stock',
  'account_credit_limit',
  'sale_credit_limit',
  'account_payment',
  'account_product',
];

/** Where Tryton keeps its databases and how the integration logs in. */
export interface TrytonSettings {
  /** PostgreSQL server Tryton uses, e.g. postgresql://postgres@127.0.0.1:5432/ */
  databaseUri: string;
  /** The database with the modules activated and the company configured; copied for every other. */
  baseDb: string;
  login: string;
  password: string;
  /** Folder for trytond.conf and logs. */
  dir: string;
}

const ROOT = path.resolve(__dirname, '..', '..');

export function trytonSettings(env: NodeJS.ProcessEnv = process.env): TrytonSettings {
  return {
    databaseUri: env.TRYTON_DATABASE_URI ?? 'postgresql://postgres@127.0.0.1:5432/',
    baseDb: env.TRYTON_BASE_DB ?? 'tryton_base',
    login: env.TRYTON_USER ?? 'integration',
    password: env.TRYTON_PASSWORD ?? 'Sync-Tryton6!Ok',
    dir: path.resolve(env.DATA_DIR ?? path.join(ROOT, '.data'), 'tryton'),
  };
}

/** Writes the trytond configuration for `port` and returns its path. */
export function writeTrytondConfig(settings: TrytonSettings, port: number): string {
  mkdirSync(settings.dir, { recursive: true });
  const file = path.join(settings.dir, `trytond-${port}.conf`);
  writeFileSync(file, `[database]\nuri = ${settings.databaseUri}\n\n[web]\nlisten = 127.0.0.1:${port}\n\n[session]\ntimeout = 3600\n`);
  return file;
}

/**
 * The base database, built once: `trytond-admin` activates the modules (minutes), configure.py
 * sets up the company, accounts, payment terms and the integration user. It is built under a
 * temporary name and renamed when complete, so an existing base is always a whole one and a
 * second run changes nothing.
 */
export async function ensureBaseDatabase(settings: TrytonSettings, log: (line: string) => void = console.log): Promise<'existed' | 'built'> {
  if (await databaseExists(settings, settings.baseDb)) return 'existed';
  const building = `${settings.baseDb}_building`;
  await dropDatabase(settings, building);
  await sql(settings, `CREATE DATABASE ${ident(building)}`);
  const conf = writeTrytondConfig(settings, 0);
  const passFile = path.join(settings.dir, 'admin-password');
  writeFileSync(passFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const started = Date.now();
  log(`tryton: activating ${TRYTON_MODULES.join(', ')} in ${building} (takes minutes)…`);
  await run('trytond-admin', ['-c', conf, '-d', building, '--all', '-u', ...TRYTON_MODULES, '--activate-dependencies', '--email', 'admin@example.invalid'], { TRYTONPASSFILE: passFile });
  log(`tryton: modules activated in ${Math.round((Date.now() - started) / 1000)} s; configuring the company…`);
  await run(process.env.TRYTON_PYTHON ?? '/usr/bin/python3', [path.join(__dirname, 'configure.py'), building, conf, settings.login, settings.password], {});
  await sql(settings, `ALTER DATABASE ${ident(building)} RENAME TO ${ident(settings.baseDb)}`);
  log(`tryton: base database ${settings.baseDb} ready in ${Math.round((Date.now() - started) / 1000)} s`);
  return 'built';
}

/**
 * Makes `database` a copy of the base seeded with `data`, unless it exists. Seeding needs a
 * trytond: a temporary one is started on a free port and stopped afterwards. Built under a
 * temporary name and renamed when complete, like the base.
 */
export async function ensureSeededDatabase(settings: TrytonSettings, database: string, data: () => ErpDemoData, log: (line: string) => void = console.log): Promise<'existed' | 'built'> {
  if (await databaseExists(settings, database)) return 'existed';
  await ensureBaseDatabase(settings, log);
  const building = `${database}_building`;
  await dropDatabase(settings, building);
  await copyDatabase(settings, settings.baseDb, building);
  const started = Date.now();
  log(`tryton: seeding ${building} with the demo business (orders driven through Tryton's workflow: a few minutes)…`);
  const server = await startTrytond(settings);
  try {
    const erp = new TrytonErpConnector({ url: server.url, database: building, login: settings.login, password: settings.password, timeoutMs: 120_000 });
    try {
      const counts = await seedTryton(erp, data());
      log(`tryton: seeded ${building} (${counts.customers} customers, ${counts.products} products, ${counts.salesOrders} orders) in ${Math.round((Date.now() - started) / 1000)} s`);
    } finally {
      await erp.close();
    }
  } finally {
    await server.stop();
  }
  await sql(settings, `ALTER DATABASE ${ident(building)} RENAME TO ${ident(database)}`);
  return 'built';
}

/** `createdb -T`: a fresh copy of a prepared database in about a second. */
export async function copyDatabase(settings: TrytonSettings, from: string, to: string): Promise<void> {
  await sql(settings, `CREATE DATABASE ${ident(to)} TEMPLATE ${ident(from)}`);
}

export async function dropDatabase(settings: TrytonSettings, database: string): Promise<void> {
  await sql(settings, `DROP DATABASE IF EXISTS ${ident(database)} WITH (FORCE)`);
}

export async function databaseExists(settings: TrytonSettings, database: string): Promise<boolean> {
  const client = await connect(settings);
  try {
    return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1;
  } finally {
    await client.end();
  }
}

/**
 * A trytond serving every database of the server, on `port` (a free one by default). A trytond
 * this folder started on that port before and that outlived its parent (killed without a chance to
 * stop it) is stopped first: it would hold the port.
 */
export async function startTrytond(settings: TrytonSettings, port?: number): Promise<{ url: string; process: ChildProcess; stop: () => Promise<void> }> {
  const listenPort = port ?? (await freePorts(1))[0];
  const conf = writeTrytondConfig(settings, listenPort);
  const pidFile = trytondPidFile(settings, listenPort);
  await stopLeftoverTrytond(pidFile, conf);
  const child = spawn('trytond', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.pid !== undefined) writeFileSync(pidFile, String(child.pid));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${listenPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`trytond exited: ${stderr}`);
    try {
      const response = await fetch(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 0, method: 'common.server.version', params: [] }) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`trytond did not answer on ${url}: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          rmSync(pidFile, { force: true });
          resolve();
        };
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** Where the pid of the trytond serving `port` is kept while it runs (benches read its CPU time). */
export function trytondPidFile(settings: TrytonSettings, port: number): string {
  return path.join(settings.dir, `trytond-${port}.pid`);
}

/** Stops the trytond whose pid `pidFile` names if it still runs with `conf` (a pid reused by another program is left alone). */
async function stopLeftoverTrytond(pidFile: string, conf: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8'));
  } catch {
    return;
  }
  const runsConf = () => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(conf);
    } catch {
      return false;
    }
  };
  if (Number.isInteger(pid) && pid > 0 && runsConf()) {
    process.kill(pid, 'SIGTERM');
    for (let waited = 0; runsConf() && waited < 5000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    if (runsConf()) process.kill(pid, 'SIGKILL');
  }
  rmSync(pidFile, { force: true });
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-6000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${output}`))));
  });
}

function connect(settings: TrytonSettings): Promise<Client> {
  const url = new URL(settings.databaseUri.replace(/^postgresql:/, 'postgres:'));
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  return client.connect().then(() => client);
}

async function sql(settings: TrytonSettings, statement: string): Promise<void> {
  const client = await connect(settings);
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  return `"${name}"`;
}
