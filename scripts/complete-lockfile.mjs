#!/usr/bin/env node
// Works around npm/cli#9846: when the registry cannot serve some platform builds of a native
// package (other operating systems' @swc/core-*, msgpackr-extract, unrs-resolver bindings),
// `npm install` leaves them out of package-lock.json and `npm ci` then calls the lock out of sync.
// This adds an entry for each such optional dependency (version, os/cpu/libc from the name,
// optional and dev flags, no resolved URL), which npm skips on other platforms without fetching.
// Idempotent; reads only package-lock.json. Run it after any `npm install` that changes a native
// package; CI runs it with --check.
// Usage: node scripts/complete-lockfile.mjs [path/to/package-lock.json] [--check]
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const check = args.includes('--check');
const file = args.find((a) => !a.startsWith('--')) ?? 'package-lock.json';
const text = readFileSync(file, 'utf8');
const lock = JSON.parse(text);
const pkgs = lock.packages;
if (!pkgs || lock.lockfileVersion < 2) throw new Error(`${file}: needs lockfileVersion >= 2`);

const OS = new Set([
  'darwin',
  'linux',
  'win32',
  'android',
  'freebsd',
  'openbsd',
  'netbsd',
  'sunos',
  'aix',
  'openharmony',
]);
const CPU = new Set([
  'x64',
  'arm64',
  'arm',
  'ia32',
  'ppc64',
  'ppc64le',
  's390x',
  'riscv64',
  'loong64',
  'mips64el',
  'wasm32',
]);
const LIBC = { gnu: 'glibc', glibc: 'glibc', gnueabihf: 'glibc', musl: 'musl', musleabihf: 'musl' };

// "@swc/core-linux-arm-gnueabihf" -> { os: ['linux'], cpu: ['arm'], libc: ['glibc'] }
function platformOf(name) {
  const t = name.split('/').pop().split('-');
  const i = t.findIndex((x) => OS.has(x));
  const j = t.findIndex((x, k) => k > i && CPU.has(x));
  if (j < 0) return null;
  const p = { cpu: [t[j]] };
  if (i >= 0) p.os = [t[i]];
  const libc = LIBC[t[j + 1]];
  if (libc && p.os?.[0] === 'linux') p.libc = [libc];
  return p;
}

// location of the package `name` as required from location `from`, or null
function resolve(from, name) {
  for (let dir = from; ;) {
    const loc = (dir ? dir + '/' : '') + 'node_modules/' + name;
    if (pkgs[loc]) return loc;
    if (!dir) return null;
    const k = dir.lastIndexOf('node_modules/');
    dir = k <= 0 ? '' : dir.slice(0, k - 1);
  }
}

const added = [];
for (const [loc, entry] of Object.entries(pkgs)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    if (resolve(loc, name)) continue;
    const plat = platformOf(name);
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec) || !plat) {
      console.warn(`skip ${name}@${spec} (from ${loc || 'root'}): not an exact-version platform package`);
      continue;
    }
    // a sibling platform package of the same parent gives the dep flags
    const sib = Object.keys(entry.optionalDependencies)
      .map((n) => resolve(loc, n))
      .find(Boolean);
    const flags = sib ? pkgs[sib] : { dev: entry.dev, optional: true };
    const e = { version: spec, ...plat, optional: true };
    for (const f of ['dev', 'devOptional', 'peer']) if (flags[f]) e[f] = true;
    const sorted = { version: e.version };
    for (const k of Object.keys(e).sort()) if (k !== 'version') sorted[k] = e[k];
    // resolve() found no copy anywhere up the tree, so the top level is free
    pkgs['node_modules/' + name] = sorted;
    added.push(`${name}@${spec}`);
  }
}

if (check) {
  if (added.length) {
    console.error(
      `${file}: missing ${added.length} optional platform entries; run node scripts/complete-lockfile.mjs`,
    );
    process.exit(1);
  }
  process.exit(0);
}
if (!added.length) {
  console.log(`${file}: nothing to add`);
  process.exit(0);
}
const [root, ...rest] = Object.keys(pkgs);
lock.packages = Object.fromEntries(
  [root, ...rest.sort((a, b) => a.localeCompare(b, 'en'))].map((k) => [k, pkgs[k]]),
);
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`${file}: added ${added.length} entries:\n  ${added.join('\n  ')}`);
