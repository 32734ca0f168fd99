/**
 * openPipes against real processes: the ends behave as a pipe(2) would (EOF once every writer closed, SIGPIPE once
 * every reader closed), /proc shows a FIFO rather than a socket, and no name is left behind.
 */
import { readdir, readlink, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { openPipes } from './open-pipes';
import { spawnProcess } from './spawn-process';

describe('openPipes', () => {
  it('connects two processes: the reader sees every byte, then EOF when the writer exits', async () => {
    const [pipe] = (await openPipes(1))!;
    const reader = spawnProcess({ command: 'wc', args: ['-c'], stdin: pipe!.readFd, stdout: 'pipe' });
    pipe!.closeRead();
    const writer = spawnProcess({ command: 'head', args: ['-c', '1000000', '/dev/zero'], stdout: pipe!.write });
    pipe!.write.destroy();
    const out: Buffer[] = [];
    reader.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    const [readExit, writeExit] = await Promise.all([reader.exited, writer.exited]);
    expect([readExit.code, writeExit.code]).toEqual([0, 0]);
    expect(Buffer.concat(out).toString().trim()).toBe('1000000');
  });

  it('a writer whose reader exited dies of SIGPIPE, as with a shell pipe', async () => {
    const [pipe] = (await openPipes(1))!;
    const reader = spawnProcess({ command: 'head', args: ['-c', '10'], stdin: pipe!.readFd, stdout: 'ignore' });
    pipe!.closeRead();
    const writer = spawnProcess({ command: 'cat', args: ['/dev/zero'], stdout: pipe!.write });
    pipe!.write.destroy();
    const [readExit, writeExit] = await Promise.all([reader.exited, writer.exited]);
    expect(readExit.code).toBe(0);
    expect(writeExit.signal).toBe('SIGPIPE');
  });

  it('is a FIFO whose name is gone before anyone uses it, made in a folder only this user can enter', async () => {
    const [pipe] = (await openPipes(1))!;
    try {
      expect((await stat(`/proc/self/fd/${pipe!.readFd}`)).isFIFO()).toBe(true);
      const link = await readlink(`/proc/self/fd/${pipe!.readFd}`);
      expect(link).toMatch(/ \(deleted\)$/);
      const folder = link.replace(/\/[^/]+ \(deleted\)$/, '');
      expect(folder.startsWith(tmpdir())).toBe(true);
      // The folder keeps the FIFOs made ahead (unused names), never one that was handed out.
      expect((await stat(folder)).mode & 0o777).toBe(0o700);
      expect(await readdir(folder)).not.toContain(path.basename(link.replace(/ \(deleted\)$/, '')));
    } finally {
      pipe!.closeRead();
      pipe!.write.destroy();
    }
  });
  it('hands out distinct pipes to many callers at once, every one of them working', async () => {
    const all = await Promise.all(Array.from({ length: 100 }, () => openPipes(2)));
    const fds = all.flatMap((pipes) => pipes!.map((p) => p.readFd));
    expect(new Set(fds).size).toBe(200);
    const [pipe] = all[99]!;
    const reader = spawnProcess({ command: 'wc', args: ['-c'], stdin: pipe!.readFd, stdout: 'pipe' });
    pipe!.closeRead();
    const writer = spawnProcess({ command: 'head', args: ['-c', '12345', '/dev/zero'], stdout: pipe!.write });
    pipe!.write.destroy();
    const out: Buffer[] = [];
    reader.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
    await Promise.all([reader.exited, writer.exited]);
    expect(Buffer.concat(out).toString().trim()).toBe('12345');
    for (const pipes of all) for (const p of pipes!) {
      p.closeRead();
      p.write.destroy();
    }
  });
});
