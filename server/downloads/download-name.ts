import { codecSteps, isCodec } from '@/server/artifacts/codec';

// What a file name keeps of a source's name: enough to recognise it in a downloads folder, short enough for every
// file system (255 bytes) with the date, role and extension added.
const MAX_NAME_CHARS = 80;
// Raw extensions are lowercase words joined by dots (layout.ts EXTENSION_PATTERN); anything else is not trusted.
const EXTENSION = /^[a-z0-9]+(\.[a-z0-9]+)*$/;
const CODEC_SUFFIX = { zstd: '.zst', age: '.age' } as const;

/**
 * The raw (decoded) extension of a stored object: its key's file name is `<role>.<raw ext><codec suffixes>`
 * (layout.ts `runObjectKey`, codec.ts `storedExtension`), e.g. `data.pgdump.zst.age` → `pgdump`. Falls back to
 * `fallback` (the engine's artifact extension) for a key that does not follow the layout, and to `bin` without one.
 */
export function rawExtension(object: { key: string; role: string; codec: string }, fallback?: string): string {
  let file = object.key.slice(object.key.lastIndexOf('/') + 1);
  if (isCodec(object.codec)) {
    for (const step of codecSteps(object.codec).reverse()) {
      if (file.endsWith(CODEC_SUFFIX[step])) file = file.slice(0, -CODEC_SUFFIX[step].length);
    }
  }
  const ext = file.startsWith(`${object.role}.`) ? file.slice(object.role.length + 1) : '';
  if (EXTENSION.test(ext)) return ext;
  return fallback !== undefined && EXTENSION.test(fallback) ? fallback : 'bin';
}

/** `orders db` → `orders-db`: letters, digits, dots, dashes and underscores only, never empty, never a dot file. */
export function safeNamePart(name: string): string {
  const cleaned = name
    .normalize('NFKD')
    // The accents NFKD split off (é → e + ◌́): dropped, so "Café" stays one word.
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, MAX_NAME_CHARS)
    .replace(/[-.]+$/, '');
  return cleaned === '' ? 'source' : cleaned;
}

/**
 * The file name a download is saved as: `<source>-<date>-<role>.<raw ext>`, e.g. `orders-2026-03-14T0200Z-data.pgdump`.
 * The date is the point's creation in UTC to the minute (several backups a day stay apart in a downloads folder);
 * every part is reduced to a safe alphabet, so the name can go into a `Content-Disposition` header as it is.
 */
export function downloadFileName(input: { sourceName: string; createdAt: Date; role: string; extension: string }): string {
  const iso = input.createdAt.toISOString();
  const when = `${iso.slice(0, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
  return `${safeNamePart(input.sourceName)}-${when}-${safeNamePart(input.role)}.${EXTENSION.test(input.extension) ? input.extension : 'bin'}`;
}
