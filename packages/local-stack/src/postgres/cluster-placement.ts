import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, lstat, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { accountCan, type ServerAccount } from './server-account.js';

/** Where the embedded cluster's binaries and data are, and whether either had to move. */
export interface ClusterPlacement {
  /** The binaries' root: `bin/`, `lib/`, `share/` below it. */
  readonly binaries: string;
  readonly dataDirectory: string;
  /** The cluster's password, kept next to its data (root-only when root starts it). */
  readonly passwordFile: string;
  /** What moved and why, for the person starting (empty when nothing moved). */
  readonly moved: readonly string[];
}

export interface PlacementRequest {
  /** Where the data was asked to live (`./.data/postgres`). */
  readonly dataDirectory: string;
  /** The binaries' root inside node_modules. */
  readonly binaries: string;
  readonly account: ServerAccount;
  /**
   * Where to put what the account cannot reach (`/var/tmp`: world-traversable and, unlike
   * `/tmp`, kept across reboots, so the relocated cluster keeps its data).
   */
  readonly reachableRoot?: string;
}

const DEFAULT_REACHABLE_ROOT = '/var/tmp';

/**
 * A directory of our own under a shared root: made by us (root), not a symlink, not writable by
 * anyone else. In `/var/tmp` anyone can create names first; a planted directory is refused, never
 * used, because the binaries in it run as the server's account.
 */
async function ownDirectory(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o755 });
  const stats = await lstat(path);
  const ours = stats.isDirectory() && !stats.isSymbolicLink() && stats.uid === process.getuid?.() && (stats.mode & 0o022) === 0;
  if (!ours) throw new Error(`${path} exists but is not a directory owned by this user and closed to others: remove it or set DATABASE_URL`);
  await chmod(path, 0o755);
}

async function binariesVersion(binaries: string): Promise<string> {
  try {
    const manifest = JSON.parse(await readFile(join(binaries, '..', 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof manifest.version === 'string') return manifest.version.replace(/[^\w.-]/g, '_');
  } catch {
    // No package.json next to them: name the copy by where they came from.
  }
  return createHash('sha256').update(binaries).digest('hex').slice(0, 12);
}

/** A copy of the binaries under `base` (made once per version; relative symlinks and modes kept). */
async function copyBinaries(binaries: string, base: string): Promise<string> {
  const target = join(base, `postgres-${await binariesVersion(binaries)}`);
  if (existsSync(join(target, 'bin', 'postgres'))) return target;
  const partial = `${target}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await cp(binaries, partial, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  await rename(partial, target);
  return target;
}

/**
 * Decides where the cluster lives. Normally exactly where asked. When root starts it, the server
 * runs as another account that may not reach a checkout under a private directory (a clone in
 * `/root`, mode 700): then what it cannot reach (the binaries, the data folder, or both) goes to
 * a directory of its own under `reachableRoot`, named after the asked data folder so each
 * checkout keeps its own cluster. Nothing above the checkout is ever opened up.
 */
export async function placeCluster(request: PlacementRequest): Promise<ClusterPlacement> {
  const asked = resolve(request.dataDirectory);
  const parent = dirname(asked);
  await mkdir(parent, { recursive: true });
  const asAsked = { binaries: request.binaries, dataDirectory: asked, passwordFile: `${asked}.password`, moved: [] };
  if (request.account.kind === 'self') return asAsked;

  // Our own data folder (`.data`) may be opened for the account to pass through; its parents are not ours to change.
  await chmod(parent, 0o755);
  const [binariesReachable, dataReachable] = await Promise.all([
    accountCan(request.account, 'x', join(request.binaries, 'bin', 'postgres')),
    accountCan(request.account, 'x', parent),
  ]);
  if (binariesReachable && dataReachable) return asAsked;

  const base = join(request.reachableRoot ?? DEFAULT_REACHABLE_ROOT, `selfie-lora-${createHash('sha256').update(asked).digest('hex').slice(0, 12)}`);
  await ownDirectory(base);
  const moved: string[] = [];
  let binaries = request.binaries;
  if (!binariesReachable) {
    binaries = await copyBinaries(request.binaries, base);
    moved.push(`the PostgreSQL binaries were copied to ${binaries}`);
  }
  let dataDirectory = asked;
  if (!dataReachable) {
    dataDirectory = join(base, 'postgres');
    moved.push(`its data is in ${dataDirectory} instead of ${asked}`);
  }
  for (const path of [binaries, dataDirectory === asked ? parent : base]) {
    if (!(await accountCan(request.account, 'x', path))) throw new Error(`the "${request.account.name}" OS user cannot reach ${path} even there`);
  }
  return { binaries, dataDirectory, passwordFile: `${dataDirectory}.password`, moved };
}
