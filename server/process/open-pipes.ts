/**
 * Kernel pipes for connecting two child processes directly. Node's stdio 'pipe' is a UNIX socket pair, and a
 * socket costs measurably more system time per 4 KiB write/read than a pipe, on both sides, for every byte of a
 * backup. Node has no pipe(2), but a FIFO is one: once both ends are open and the name is unlinked it is an
 * anonymous pipe with the same EOF (every writer closed) and EPIPE/SIGPIPE (every reader closed) semantics.
 *
 * Each end is opened without ever blocking: the FIFO is first opened O_RDWR (on Linux this never waits for a
 * peer), which lets the plain O_RDONLY and O_WRONLY opens succeed at once; that helper descriptor is closed
 * before anyone uses the pipe, or the reader would never see EOF. The ends keep their blocking mode (an
 * O_NONBLOCK read end would be shared with the child, which expects a blocking stdin). libuv opens every
 * descriptor close-on-exec, so no other child inherits one by accident.
 */
import crypto from 'node:crypto';
import { close, constants as fsConstants, createWriteStream, open, rmSync, type WriteStream } from 'node:fs';
import { mkdtemp, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { logger } from '@/server/shared/logger';

import { forkTurn } from './fork-turn';
import { spawnProcess } from './spawn-process';

export interface PipeEnds {
  /** The read end, for a child's stdin: hand it over at spawn, then `closeRead()`. */
  readFd: number;
  /**
   * The write end as a stream backed by the descriptor (child_process passes a stream's `fd` on to the child):
   * hand it over as a child's stdout, then destroy it, which closes our copy.
   */
  write: WriteStream;
  /** Closes our copy of the read end (idempotent). */
  closeRead(): void;
}

let warned = false;

// FIFOs are made ahead, this many per `mkfifo`: making them costs a child process (a fork of the whole worker), which
// would otherwise be one more per pipeline started.
const STOCK = 64;
let stock: { dir: string; names: string[] } | undefined;
let making: Promise<void> | undefined;

/** Removes the stock's folder when the process exits (its FIFOs are only names; nothing is open on them). */
function removeStockAtExit(dir: string): void {
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
}

async function refill(count: number): Promise<void> {
  if (stock === undefined) {
    // mkdtemp creates the folder 0700: no other user can open (or swap) our FIFOs before they are used and unlinked.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lifeboat-pipe-'));
    removeStockAtExit(dir);
    stock = { dir, names: [] };
  }
  const { dir } = stock;
  const names = Array.from({ length: count }, () => path.join(dir, crypto.randomUUID()));
  // coreutils' mkfifo (argv only, no shell), one child for all of them: Node cannot call mkfifo(3) itself.
  await forkTurn();
  const made = spawnProcess({ command: 'mkfifo', args: ['-m', '600', '--', ...names], stdout: 'ignore' });
  const exit = await made.exited;
  if (exit.code !== 0) {
    // A folder a temp cleaner removed, a full disk: start again in a new folder next time.
    if (stock?.dir === dir) stock = undefined;
    throw new Error(`mkfifo failed (${exit.spawnError?.message ?? exit.stderrTail.trim()})`);
  }
  if (stock?.dir === dir) stock.names.push(...names);
}

/** `count` FIFO names nobody has used, made ahead in the stock. */
async function takeNames(count: number): Promise<string[]> {
  while ((stock?.names.length ?? 0) < count) {
    making ??= refill(Math.max(STOCK, count)).finally(() => (making = undefined));
    await making;
  }
  return stock!.names.splice(0, count);
}

/**
 * `count` fresh pipes, or undefined when FIFOs cannot be made here (no `mkfifo`, a read-only tmpdir, not Linux):
 * the caller then falls back to Node's socket pairs, which work the same, only slower. Logged once per process.
 */
export async function openPipes(count: number): Promise<PipeEnds[] | undefined> {
  if (count === 0) return [];
  let names: string[] = [];
  // Plain descriptors rather than FileHandles: the write end is given to a stream, and a FileHandle would close it again when collected.
  const fds: number[] = [];
  try {
    names = await takeNames(count);
    const ends: [number, number][] = [];
    for (const name of names) {
      const helper = await openFd(name, fsConstants.O_RDWR);
      fds.push(helper);
      const read = await openFd(name, fsConstants.O_RDONLY);
      fds.push(read);
      const write = await openFd(name, fsConstants.O_WRONLY);
      fds.push(write);
      ends.push([read, write]);
    }
    // Each pipe's own ends are open now, so its helper can go: from here on EOF comes when the last writer closes.
    await Promise.all(ends.map((_, index) => closeFd(fds[index * 3]!)));
    fds.length = 0;
    return ends.map(([read, write]) => toEnds(read, write));
  } catch (err) {
    await Promise.all(fds.map((fd) => closeFd(fd).catch(() => undefined)));
    // The stock's names are gone (a temp cleaner emptied the folder): the next call starts a new folder.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') stock = undefined;
    if (!warned) {
      warned = true;
      logger.warn({ err }, 'cannot make kernel pipes (FIFOs); connecting tools with socket pairs instead');
    }
    return undefined;
  } finally {
    // The open descriptors keep each pipe alive; the names are no longer needed by anyone, and never used again.
    await Promise.all(names.map((name) => unlink(name).catch(() => undefined)));
  }
}

function openFd(name: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => open(name, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve())));
}

function toEnds(read: number, write: number): PipeEnds {
  let readOpen = true;
  // The stream takes the descriptor over (autoClose): destroying it is what closes our copy of the write end.
  const stream = createWriteStream('', { fd: write, autoClose: true });
  // A close error (EBADF after a double close) would otherwise crash the worker; nothing is written through it.
  stream.on('error', () => undefined);
  return {
    readFd: read,
    write: stream,
    closeRead: () => {
      if (!readOpen) return;
      readOpen = false;
      closeFd(read).catch(() => undefined);
    },
  };
}
