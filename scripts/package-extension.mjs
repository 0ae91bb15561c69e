#!/usr/bin/env node
// Packages the extension for one platform (default: this machine's, e.g. linux-x64):
//   .cache/package/<name>-<version>-<target>/extension/   the unpacked extension (what VS Code installs)
//   <name>-<version>-<target>.vsix                          the same files as a VSIX (with --vsix)
// The files are chosen by .vscodeignore (an allow-list), minus the other platforms' onnxruntime
// binaries. Run `npm run build` first. Then checks that the bundles need nothing but Node built-ins,
// `vscode` and modules shipped in the package, and that onnxruntime-node resolves inside the package.
//
//   node scripts/package-extension.mjs [--target linux-x64] [--vsix] [--out DIR]
import { builtinModules } from 'node:module';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REQUIRED = ['package.json', 'LICENSE', 'dist/extension.js', 'dist/worker.js'];
/** VS Code target platform -> [process.platform, process.arch] of the onnxruntime binaries. */
const TARGETS = {
  'linux-x64': ['linux', 'x64'], 'linux-arm64': ['linux', 'arm64'],
  'darwin-x64': ['darwin', 'x64'], 'darwin-arm64': ['darwin', 'arm64'],
  'win32-x64': ['win32', 'x64'], 'win32-arm64': ['win32', 'arm64'],
};

function parseArgs(argv) {
  const opts = { target: `${process.platform}-${process.arch}`, vsix: false, out: join(root, '.cache', 'package') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target') opts.target = argv[++i];
    else if (argv[i] === '--vsix') opts.vsix = true;
    else if (argv[i] === '--out') opts.out = resolve(argv[++i]);
    else throw new Error(`Unknown argument ${argv[i]}`);
  }
  if (!TARGETS[opts.target]) throw new Error(`Unknown target ${opts.target}; one of ${Object.keys(TARGETS).join(', ')}`);
  return opts;
}

// ---------------------------------------------------------------------------------------------
// .vscodeignore: gitignore-like globs on the path relative to the root; the last matching line wins.

function globToRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      if (glob[i + 2] === '/') { re += '(?:.*/)?'; i += 2; } else { re += '.*'; i += 1; }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function parseIgnoreFile(text) {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((line) => {
    const include = line.startsWith('!');
    const glob = (include ? line.slice(1) : line).replace(/^\//, '');
    const literalPrefix = glob.split(/[*?]/)[0];
    return { include, glob, re: globToRegExp(glob), literalPrefix };
  });
}

export function isIncluded(rules, relPath) {
  let included = true;
  for (const r of rules) if (r.re.test(relPath)) included = r.include;
  return included;
}

/** Could an included file live under `dir`? (Prunes the walk: node_modules, .git and .cache are large.) */
function mayContainIncluded(rules, dir) {
  const d = `${dir}/`;
  return rules.some((r) => r.include && (r.literalPrefix.startsWith(d) || d.startsWith(r.literalPrefix)
    || (!r.literalPrefix.includes('/') && r.glob.startsWith('**'))));
}

function selectFiles(rules) {
  const files = [];
  const walk = (rel) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      const st = statSync(join(root, p));
      if (st.isDirectory()) {
        if (mayContainIncluded(rules, p)) walk(p);
      } else if (st.isFile() && isIncluded(rules, p)) {
        files.push(p);
      }
    }
  };
  walk('');
  return files;
}

/** Keep only the target platform's native binaries of onnxruntime-node. */
function forTarget(files, target) {
  const [os, arch] = TARGETS[target];
  return files.filter((f) => {
    const m = /^node_modules\/onnxruntime-node\/bin\/napi-v\d+\/([^/]+)\/([^/]+)\//.exec(f);
    return !m || (m[1] === os && m[2] === arch);
  });
}

// ---------------------------------------------------------------------------------------------
// Checks

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Bare module names the bundles require at run time. */
function bundleRequires(stage) {
  const names = new Set();
  for (const f of ['dist/extension.js', 'dist/worker.js', 'dist/cli.js']) {
    const p = join(stage, f);
    if (!existsSync(p)) continue;
    for (const m of readFileSync(p, 'utf8').matchAll(/\brequire\(\s*["']([^"'./][^"']*)["']\s*\)/g)) names.add(m[1]);
  }
  return [...names].sort();
}

function checkStage(stage, files) {
  for (const f of REQUIRED) if (!files.includes(f)) throw new Error(`${f} is not in the package (run \`npm run build\`?)`);
  const shipped = new Set(files.filter((f) => f.startsWith('node_modules/') && f.endsWith('/package.json'))
    .map((f) => f.slice('node_modules/'.length, -'/package.json'.length)));
  const externals = bundleRequires(stage).filter((n) => !BUILTINS.has(n) && n !== 'vscode');
  const missing = externals.filter((n) => !shipped.has(n.startsWith('@') ? n.split('/').slice(0, 2).join('/') : n.split('/')[0]));
  if (missing.length) {
    throw new Error(`The bundles require ${missing.join(', ')}, which the package does not ship: bundle them (esbuild) or allow them in .vscodeignore.`);
  }
  return externals;
}

/** Load onnxruntime-node from the stage with Node, failing if anything resolves outside the stage. */
function checkLoads(stage, externals, target) {
  if (target !== `${process.platform}-${process.arch}`) return;
  const script = `
    const Module = require('module'); const path = require('path'); const stage = ${JSON.stringify(stage + sep)};
    const orig = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      const r = orig.call(this, request, ...rest);
      if (path.isAbsolute(r) && !r.startsWith(stage)) throw new Error('resolved outside the package: ' + request + ' -> ' + r);
      return r;
    };
    for (const m of ${JSON.stringify(externals)}) require(require.resolve(m, { paths: [stage] }));
    const ort = require(require.resolve('onnxruntime-node', { paths: [stage] }));
    if (typeof ort.InferenceSession?.create !== 'function') throw new Error('onnxruntime-node has no InferenceSession');`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: stage, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`The packaged runtime modules do not load:\n${r.stderr}`);
}

// ---------------------------------------------------------------------------------------------
// VSIX: a zip with extension.vsixmanifest, [Content_Types].xml and the files under extension/.

const xml = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function vsixManifest(pkg, target, files) {
  const kinds = Array.isArray(pkg.extensionKind) ? pkg.extensionKind.join(',') : (pkg.extensionKind ?? '');
  const assets = [['Microsoft.VisualStudio.Code.Manifest', 'package.json']];
  if (files.includes('README.md')) assets.push(['Microsoft.VisualStudio.Services.Content.Details', 'README.md']);
  if (files.includes('CHANGELOG.md')) assets.push(['Microsoft.VisualStudio.Services.Content.Changelog', 'CHANGELOG.md']);
  if (files.includes('LICENSE')) assets.push(['Microsoft.VisualStudio.Services.Content.License', 'LICENSE']);
  return `<?xml version="1.0" encoding="utf-8"?>
<PackageManifest Version="2.0.0" xmlns="http://schemas.microsoft.com/developer/vsx-schema/2011" xmlns:d="http://schemas.microsoft.com/developer/vsx-schema-design/2011">
  <Metadata>
    <Identity Language="en-US" Id="${xml(pkg.name)}" Version="${xml(pkg.version)}" Publisher="${xml(pkg.publisher)}" TargetPlatform="${xml(target)}"/>
    <DisplayName>${xml(pkg.displayName ?? pkg.name)}</DisplayName>
    <Description xml:space="preserve">${xml(pkg.description ?? '')}</Description>
    <Tags>${xml((pkg.keywords ?? []).join(','))}</Tags>
    <Categories>${xml((pkg.categories ?? []).join(','))}</Categories>
    <GalleryFlags>Public</GalleryFlags>
    <Properties>
      <Property Id="Microsoft.VisualStudio.Code.Engine" Value="${xml(pkg.engines?.vscode ?? '*')}"/>
      <Property Id="Microsoft.VisualStudio.Code.ExtensionDependencies" Value="${xml((pkg.extensionDependencies ?? []).join(','))}"/>
      <Property Id="Microsoft.VisualStudio.Code.ExtensionPack" Value="${xml((pkg.extensionPack ?? []).join(','))}"/>
      <Property Id="Microsoft.VisualStudio.Code.ExtensionKind" Value="${xml(kinds)}"/>
      <Property Id="Microsoft.VisualStudio.Code.LocalizedLanguages" Value=""/>
      <Property Id="Microsoft.VisualStudio.Services.GitHubFlavoredMarkdown" Value="true"/>
      <Property Id="Microsoft.VisualStudio.Services.Content.Pricing" Value="Free"/>
    </Properties>${files.includes('LICENSE') ? '\n    <License>extension/LICENSE</License>' : ''}
  </Metadata>
  <Installation>
    <InstallationTarget Id="Microsoft.VisualStudio.Code"/>
  </Installation>
  <Dependencies/>
  <Assets>
${assets.map(([type, p]) => `    <Asset Type="${type}" Path="extension/${p}" Addressable="true"/>`).join('\n')}
  </Assets>
</PackageManifest>
`;
}

const CONTENT_TYPES = { '.json': 'application/json', '.js': 'application/javascript', '.md': 'text/markdown', '.css': 'text/css',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.jsonl': 'application/x-ndjson', '.vsixmanifest': 'text/xml', '.txt': 'text/plain' };

function contentTypes(paths) {
  const exts = new Set(paths.map((p) => { const m = /(\.[^./]+)$/.exec(p); return m ? m[1].toLowerCase() : ''; }).filter(Boolean));
  const defaults = [...exts].sort().map((e) => `<Default Extension="${xml(e)}" ContentType="${CONTENT_TYPES[e] ?? 'application/octet-stream'}"/>`);
  const overrides = paths.filter((p) => !/\.[^./]+$/.test(p))
    .map((p) => `<Override PartName="/${xml(p)}" ContentType="application/octet-stream"/>`);
  return `<?xml version="1.0" encoding="utf-8"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">${[...defaults, ...overrides].join('')}</Types>\n`;
}

/** A plain zip (deflate, no zip64: every file and the archive stay under 4 GiB). */
function writeZip(outFile, entries) {
  const chunks = [];
  const central = [];
  let offset = 0;
  const dosTime = 0x0000; // 00:00:00
  const dosDate = ((2024 - 1980) << 9) | (1 << 5) | 1; // fixed date: reproducible archives
  for (const { name, data } of entries) {
    const nameBuf = Buffer.from(name, 'utf8');
    const packed = deflateRawSync(data, { level: 6 });
    const useDeflate = packed.length < data.length;
    const body = useDeflate ? packed : data;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(useDeflate ? 8 : 0, 8); local.writeUInt16LE(dosTime, 10); local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(body.length, 18); local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26); local.writeUInt16LE(0, 28);
    chunks.push(local, nameBuf, body);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0); cd.writeUInt16LE(0x031e, 4); cd.writeUInt16LE(20, 6); cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(useDeflate ? 8 : 0, 10); cd.writeUInt16LE(dosTime, 12); cd.writeUInt16LE(dosDate, 14);
    cd.writeUInt32LE(crc, 16); cd.writeUInt32LE(body.length, 20); cd.writeUInt32LE(data.length, 24);
    cd.writeUInt16LE(nameBuf.length, 28); cd.writeUInt32LE((0o100644 << 16) >>> 0, 38); cd.writeUInt32LE(offset, 42);
    central.push(cd, nameBuf);
    offset += local.length + nameBuf.length + body.length;
  }
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdSize, 12); end.writeUInt32LE(offset, 16);
  writeFileSync(outFile, Buffer.concat([...chunks, ...central, end]));
}

// ---------------------------------------------------------------------------------------------

export function packageExtension(opts) {
  const t0 = Date.now();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const rules = parseIgnoreFile(readFileSync(join(root, '.vscodeignore'), 'utf8'));
  const files = forTarget(selectFiles(rules), opts.target);
  const base = `${pkg.name}-${pkg.version}-${opts.target}`;
  const stage = join(opts.out, base, 'extension');
  rmSync(dirname(stage), { recursive: true, force: true });
  for (const f of files) {
    mkdirSync(dirname(join(stage, f)), { recursive: true });
    copyFileSync(join(root, f), join(stage, f));
  }
  const externals = checkStage(stage, files);
  checkLoads(stage, externals, opts.target);
  const bytes = files.reduce((n, f) => n + statSync(join(stage, f)).size, 0);
  const result = { stage, files: files.length, bytes, externals, vsix: undefined };
  if (opts.vsix) {
    const vsix = join(root, `${base}.vsix`);
    const entries = [
      { name: 'extension.vsixmanifest', data: Buffer.from(vsixManifest(pkg, opts.target, files)) },
      { name: '[Content_Types].xml', data: Buffer.from(contentTypes(['extension.vsixmanifest', ...files.map((f) => `extension/${f}`)])) },
      ...files.map((f) => ({ name: `extension/${f}`, data: readFileSync(join(stage, f)) })),
    ];
    writeZip(vsix, entries);
    result.vsix = vsix;
  }
  const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
  process.stdout.write(`[package] ${base}: ${files.length} files, ${mb(bytes)} -> ${relative(root, stage)}` +
    `${result.vsix ? ` and ${relative(root, result.vsix)} (${mb(statSync(result.vsix).size)})` : ''}` +
    `; runtime externals: vscode, ${externals.join(', ') || '(none)'} (${Date.now() - t0} ms)\n`);
  return result;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    packageExtension(parseArgs(process.argv.slice(2)));
  } catch (err) {
    process.stderr.write(`[package] FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
