/**
 * Crash-safe file writes: a file either has its old content or its new content, never a torn mix,
 * whatever moment the process dies at (SIGKILL included). The recipe is the classic one: write a temp
 * file in the same directory, fsync it, rename it over the target, fsync the directory. Directories
 * made on the way are fsynced into their parents too: a new directory's entry is otherwise only in
 * the page cache, and a power cut could lose the directory with every durable file in it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Prefix of temp files; anything with it left in a directory is debris of a crash. */
export const TEMP_PREFIX = '.tmp-';

/** Flushes a directory's entries (names created, renamed or removed in it) to the disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `mkdir -p`, durably: every directory it creates is fsynced into its parent, the deepest first and
 * the oldest existing ancestor last. `sync` is for tests.
 */
export async function mkdirDurable(
  dir: string,
  sync: (dir: string) => Promise<void> = fsyncDir,
): Promise<void> {
  const created: string[] = [];
  for (let at = dir; !(await exists(at)); at = dirname(at)) {
    created.push(at);
    if (dirname(at) === at) break;
  }
  if (created.length === 0) return;
  await mkdir(dir, { recursive: true });
  for (const made of created) await sync(dirname(made));
}

/**
 * Directories this process made or found, durably: a file written in one skips {@link mkdirDurable}'s
 * walk up (each step a trip to the thread pool and back to a loaded event loop: a blob's first write
 * into a new `blobs/<aa>` waited 30–210 ms for it under the player benchmark's load).
 */
const durableDirs = new Set<string>();

/** {@link mkdirDurable}, once per directory per process. */
async function ensureDir(dir: string): Promise<void> {
  if (durableDirs.has(dir)) return;
  await mkdirDurable(dir);
  durableDirs.add(dir);
}

/**
 * Makes the subdirectories `names` of `parent` that are missing, with one fsync of `parent` for all
 * (the data dir's 256 `blobs/<aa>` at start: no blob's write waits for its directory later).
 */
export async function mkdirsDurable(parent: string, names: readonly string[]): Promise<void> {
  await ensureDir(parent);
  const present = new Set(await readdir(parent));
  const missing = names.filter((name) => !present.has(name));
  await Promise.all(missing.map((name) => mkdir(join(parent, name), { recursive: true })));
  if (missing.length > 0) await fsyncDir(parent);
  for (const name of names) durableDirs.add(join(parent, name));
}

/** Opens a new temp file in `dir`, making `dir` first if needed (or again, if removed since). */
async function openNew(dir: string, temp: string, mode: number): Promise<FileHandle> {
  await ensureDir(dir);
  try {
    return await open(temp, 'wx', mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    durableDirs.delete(dir);
    await ensureDir(dir);
    return open(temp, 'wx', mode);
  }
}

/** A file written and fsynced under a temp name beside its target, not yet in place. */
export interface StagedFile {
  /** Renames it over the target and fsyncs the directory: from then on the target has the bytes. */
  commit(): Promise<void>;
  /** Removes the temp file (the target is untouched). */
  discard(): Promise<void>;
}

/** A file being staged while its bytes arrive ({@link stageArriving}). */
export interface ArrivingFile {
  /** `bytes[0, n)` are in: written behind the writes before (one at a time, in order). */
  advance(n: number): void;
  /** Every byte is in: the rest written and the file fsynced, it is staged (not yet in place). */
  staged(): Promise<StagedFile>;
  /** Stops writing and removes the temp file (the target is untouched). */
  discard(): Promise<void>;
}

/**
 * The first half of {@link writeFileAtomic}, fed while the bytes arrive: a temp file beside `path`
 * is opened at once, and each {@link ArrivingFile.advance} writes what came since the last write
 * (while a write is out, what comes meanwhile goes in the next one: a fast body means few writes).
 * `bytes` is the whole file's buffer, filled from its start. Until `commit` nobody sees the file; a
 * crash leaves a temp file that the next start removes.
 */
export function stageArriving(
  path: string,
  bytes: Uint8Array,
  options: { readonly mode?: number } = {},
): ArrivingFile {
  const dir = dirname(path);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`);
  let ready = 0;
  let complete = false;
  let dropped = false;
  let wake: (() => void) | null = null;
  const nudge = () => {
    const waiting = wake;
    wake = null;
    waiting?.();
  };
  const written = (async () => {
    const handle = await openNew(dir, temp, options.mode ?? 0o644);
    try {
      let at = 0;
      while (!dropped) {
        if (at < ready) {
          // One `write` call for all that is in: `FileHandle.writeFile` would cut 4 MB into eight
          // 512 KiB trips to the thread pool, each waiting for a loaded event loop to come back.
          const { bytesWritten } = await handle.write(bytes, at, ready - at, at);
          at += bytesWritten;
        } else if (complete) {
          break;
        } else {
          await new Promise<void>((resolve) => (wake = resolve));
        }
      }
      if (!dropped) await handle.sync();
    } catch (error) {
      await handle.close();
      await rm(temp, { force: true });
      throw error;
    }
    await handle.close();
  })();
  // A failure is reported by staged(); one nobody asks for (a dropped upload) is not unhandled.
  written.catch(() => {});
  return {
    advance(n) {
      ready = Math.max(ready, Math.min(n, bytes.length));
      nudge();
    },
    async staged() {
      ready = bytes.length;
      complete = true;
      nudge();
      await written;
      return {
        async commit() {
          try {
            await rename(temp, path);
          } catch (error) {
            await rm(temp, { force: true });
            throw error;
          }
          await fsyncDir(dir);
        },
        discard: () => rm(temp, { force: true }),
      };
    },
    async discard() {
      dropped = true;
      nudge();
      await written.catch(() => {});
      await rm(temp, { force: true });
    },
  };
}

/**
 * The first half of {@link writeFileAtomic}: writes `bytes` to a temp file beside `path` and fsyncs
 * it, so that the slow part (the data's fsync) can run beside other work, and `commit` only renames.
 */
export function stageFile(
  path: string,
  bytes: Uint8Array | string,
  options: { readonly mode?: number } = {},
): Promise<StagedFile> {
  return stageArriving(path, typeof bytes === 'string' ? Buffer.from(bytes) : bytes, options).staged();
}

/** Writes `bytes` to `path` atomically and durably; creates the parent directory if needed. */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array | string,
  options: { readonly mode?: number } = {},
): Promise<void> {
  await (await stageFile(path, bytes, options)).commit();
}

/** Removes the temp files a crash left in `dir` (not recursive); `listed`: its names, if read already. */
export async function removeTempFiles(dir: string, listed?: readonly string[]): Promise<number> {
  let names = listed;
  if (!names) {
    try {
      names = await readdir(dir);
    } catch {
      return 0;
    }
  }
  const debris = names.filter((n) => n.startsWith(TEMP_PREFIX));
  await Promise.all(debris.map((n) => rm(join(dir, n), { force: true })));
  return debris.length;
}
