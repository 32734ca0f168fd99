/**
 * The recovery kit is read by an operator on a bad day, maybe with Lifeboat gone: it says what to do with the
 * files, not where in Lifeboat's source something happens. Its restore instructions come from docs/FORMAT.md (whose
 * commands server/artifacts/format.int.test.ts runs, so they stay right), cut down to what an operator needs.
 */

/**
 * The sections of docs/FORMAT.md that an operator restoring by hand needs, in this order, by title: the manifest's
 * whatever its version, and any section about a point's objects.
 */
const OPERATOR_SECTIONS: readonly RegExp[] = [/^Restoring without Lifeboat$/, /^Keys and the recovery kit$/, /^Layout$/, /^The bytes$/, /^manifest\.json\b/, /\bobjects\b/i];

/**
 * A backup folder may hold several objects (one dump per database plus the globals, a command's output files). The
 * kit says how to check and decode each one whatever docs/FORMAT.md says, so a kit printed today stays usable; its
 * test runs the block below against a real folder of three objects.
 */
export const SEVERAL_OBJECTS_GUIDE = `## A backup folder with several objects

A backup folder may hold more than one object besides \`manifest.json\`: one file per object, named
\`<role>.<ext>\` plus one suffix per codec step (\`.zst\`, then \`.age\`), e.g. \`data.pgdump.zst.age\` alone, or
\`db.orders.pgdump.zst.age\`, \`db.billing.pgdump.zst.age\` and \`globals.sql.zst.age\` for one dump per database
plus the server's globals. \`manifest.json\` lists every one under \`objects\` (\`role\`, \`key\`, \`size\`, \`sha256\`,
and what the object holds). Fetch the whole folder, then check every object and decode each one to its raw file:

\`\`\`sh
set -euo pipefail
# 1. Every object must be byte for byte the one the manifest lists; prints "<file>: OK" for each.
jq -r '.objects[] | "\\(.sha256)  \\(.key | split("/") | last)"' manifest.json | sha256sum --check --strict
# 2. Decode each object: <role>.<ext>.zst.age -> <role>.<ext> (no .age: no age -d; no .zst: no zstd -d).
for f in $(jq -r '.objects[].key | split("/") | last' manifest.json); do
  raw="\${f%.age}"; raw="\${raw%.zst}"
  case "$f" in
    *.zst.age) age -d -i key.txt "$f" | zstd -d -q -o "$raw" ;;
    *.age) age -d -i key.txt -o "$raw" "$f" ;;
    *.zst) zstd -d -q -o "$raw" "$f" ;;
  esac
done
\`\`\`

Then restore each raw file with the tool for its \`<ext>\` (each entry of \`objects\` also carries a one-line
\`restoreHint\` for it): a \`.pgdump\` with \`pg_restore\` into a new database, as in "Restoring without Lifeboat"
(\`createdb NEW_DB && pg_restore --no-owner --exit-on-error -d NEW_DB db.orders.pgdump\`); a \`.sql\` (such as
\`globals.sql\`: roles and tablespaces) with \`psql --set=ON_ERROR_STOP=1 -f globals.sql\`, before the databases that
need its roles; any other file is the source's own output, as it wrote it. The decoded files are not encrypted:
keep them on a private disk and delete them once restored.
`;

/** A mention of the source tree: `server/…`, `workers/x.ts`, `prisma/…`, a function name in backticks with parentheses. */
const SOURCE_REFERENCE = /`?\b(?:server|workers|app|components|prisma|scripts|lib|e2e|bench)\/[\w./[\]-]+`?|\b[\w-]+\.(?:ts|tsx|mjs)\b|`(?:verifyAndDecode|verifyAndDecodeInto|decodeInto)[^`]*`/;

/** docs/FORMAT.md for operators: the sections above, without sentences or rows that name source files. */
export function operatorGuide(formatDoc: string): string {
  const sections = new Map<string, string>();
  for (const part of formatDoc.split(/^## /m).slice(1)) {
    const newline = part.indexOf('\n');
    sections.set(part.slice(0, newline).trim(), part.slice(newline + 1));
  }
  const titles = [...sections.keys()];
  const chosen = [...new Set(OPERATOR_SECTIONS.flatMap((pattern) => titles.filter((title) => pattern.test(title))))];
  const kept = chosen.map((title) => `## ${title}\n${withoutSourceReferences(sections.get(title)!)}`);
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
    '# To restore without Lifeboat: save the "Identities (age)" section below as key.txt (chmod 600), fetch the whole',
    '# backup folder (its objects, e.g. data.pgdump.zst.age, and manifest.json) from the backup storage, and follow',
    '# "Restoring without Lifeboat". A folder may hold several objects (<role>.<ext>.zst.age, one per database plus',
    '# globals.sql.zst.age, say): "A backup folder with several objects" at the end says how to check and decode each.',
    '',
    '## Identities (age)',
    '',
    ...keys.flatMap((k) => [`# ${k.name}  recipient ${k.recipient}  created ${k.createdAt.toISOString()}${k.active ? '  (active)' : ''}`, k.identity]),
    '',
    guide,
    '',
    SEVERAL_OBJECTS_GUIDE,
  ].join('\n');
}
