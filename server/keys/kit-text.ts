/**
 * The recovery kit is read by an operator on a bad day, maybe with Lifeboat gone: it says what to do with the
 * files, not where in Lifeboat's source something happens. Its restore instructions come from docs/FORMAT.md (whose
 * commands server/artifacts/format.int.test.ts runs, so they stay right), cut down to what an operator needs.
 */

/** The sections of docs/FORMAT.md that an operator restoring by hand needs, in this order. */
const OPERATOR_SECTIONS = ['Restoring without Lifeboat', 'Keys and the recovery kit', 'Layout', 'The bytes', 'manifest.json (version 3)'];

/** A mention of the source tree: `server/…`, `workers/x.ts`, `prisma/…`, a function name in backticks with parentheses. */
const SOURCE_REFERENCE = /`?\b(?:server|workers|app|components|prisma|scripts|lib|e2e|bench)\/[\w./[\]-]+`?|\b[\w-]+\.(?:ts|tsx|mjs)\b|`(?:verifyAndDecode|verifyAndDecodeInto|decodeInto)[^`]*`/;

/** docs/FORMAT.md for operators: the sections above, without sentences or rows that name source files. */
export function operatorGuide(formatDoc: string): string {
  const sections = new Map<string, string>();
  for (const part of formatDoc.split(/^## /m).slice(1)) {
    const newline = part.indexOf('\n');
    sections.set(part.slice(0, newline).trim(), part.slice(newline + 1));
  }
  const kept = OPERATOR_SECTIONS.filter((title) => sections.has(title)).map((title) => `## ${title}\n${withoutSourceReferences(sections.get(title)!)}`);
  if (kept.length === 0) return withoutSourceReferences(formatDoc);
  return kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

function withoutSourceReferences(text: string): string {
  const out: string[] = [];
  let inFence = false;
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length === 0) return;
    const structured = paragraph.every((l) => /^\s*(\||- |\d+\. |#)/.test(l)) || paragraph.some((l) => l.startsWith('|'));
    if (structured) {
      out.push(...paragraph.filter((l) => !SOURCE_REFERENCE.test(l)));
    } else {
      // Sentences end at ". " (or the paragraph's end); an abbreviation split wrongly only costs a shorter sentence.
      // "built by `server/storage/layout.ts`, the same …" keeps its point without the file.
      const text = paragraph.join('\n').replace(/ by `(?:server|workers|app|prisma)\/[^`]+`/g, '');
      const sentences = text.split(/(?<=[.:])\s+(?=[A-Z`(*])/);
      const clean = sentences.filter((s) => !SOURCE_REFERENCE.test(s));
      if (clean.length === sentences.length) out.push(text);
      else if (clean.length > 0) out.push(clean.join(' '));
    }
    paragraph = [];
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) {
      flush();
      // The fence's tag (`sh restore-postgres`) marks it for the format test; operators only need the language.
      out.push(inFence ? '```' : line.split(/\s+/)[0]!);
      inFence = !inFence;
      continue;
    }
    if (inFence) {
      out.push(line);
      continue;
    }
    if (line.trim() === '') {
      flush();
      out.push('');
      continue;
    }
    paragraph.push(line);
  }
  flush();
  return out.join('\n');
}

export interface KitKey {
  name: string;
  recipient: string;
  createdAt: Date;
  active: boolean;
  identity: string;
}

/** The kit's text: the identities in age's key-file format, then the operator's restore guide. */
export function renderRecoveryKit(keys: KitKey[], guide: string, at = new Date()): string {
  return [
    '# Lifeboat recovery kit',
    `# Generated ${at.toISOString()}.`,
    '# KEEP THIS FILE OFFLINE (printed, or on removable media in a safe). Anyone holding it can decrypt every backup',
    '# encrypted to the keys below.',
    '#',
    '# To restore without Lifeboat: save the "Identities (age)" section below as key.txt (chmod 600), fetch the',
    '# backup folder (data.* and manifest.json) from the backup storage, and follow "Restoring without Lifeboat".',
    '',
    '## Identities (age)',
    '',
    ...keys.flatMap((k) => [`# ${k.name}  recipient ${k.recipient}  created ${k.createdAt.toISOString()}${k.active ? '  (active)' : ''}`, k.identity]),
    '',
    guide,
    '',
  ].join('\n');
}
