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

/** A file written and fsynced under a temp name beside its target, not yet in place. */
export interface StagedFile {
  /** Renames it over the target and fsyncs the directory: from then on the target has the bytes. */
  commit(): Promise<void>;
  /** Removes the temp file (the target is untouched). */
  discard(): Promise<void>;
}

/**
 * The first half of {@link writeFileAtomic}: writes `bytes` to a temp file beside `path` and fsyncs
 * it, so that the slow part (the data's fsync) can run beside other work — the relay checks an upload
 * meanwhile — and `commit` only renames. Until then nobody sees the bytes; a crash leaves a temp file
 * that the next start removes.
 */
export async function stageFile(
  path: string,
  bytes: Uint8Array | string,
  options: { readonly mode?: number } = {},
): Promise<StagedFile> {
  const dir = dirname(path);
  await mkdirDurable(dir);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    await writeAll(handle, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
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
}

/**
 * Writes all of `bytes` at the handle's start, in as few `write` calls as the kernel allows (one, for a
 * regular file). `FileHandle.writeFile` writes 512 KiB at a time, each a trip to libuv's thread pool
 * and back to the event loop: eight for a 4 MB texture, each waiting for a loaded event loop.
 */
async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.length - at, at);
    at += bytesWritten;
  }
}

/** Writes `bytes` to `path` atomically and durably; creates the parent directory if needed. */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array | string,
  options: { readonly mode?: number } = {},
): Promise<void> {
  await (await stageFile(path, bytes, options)).commit();
}

/** Removes the temp files a crash left in `dir` (not recursive). */
export async function removeTempFiles(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const debris = names.filter((n) => n.startsWith(TEMP_PREFIX));
  await Promise.all(debris.map((n) => rm(join(dir, n), { force: true })));
  return debris.length;
}
