import { ApiError, type ApiIssue } from '@/components/api/client';

/** Labels a form gives its fields, by whole path (`config.port`) or by last segment (`port`). */
export type FieldLabels = Readonly<Record<string, string>>;

/** A full stop last unless the words already end in punctuation. */
const endStop = (m: string) => (/[.!?…)]$/.test(m) ? m : `${m}.`);

/** A message as a sentence: a capital first, a full stop last unless it already ends in punctuation. */
export function sentence(message: string): string {
  const m = message.trim();
  return m ? endStop(m[0]!.toUpperCase() + m.slice(1)) : '';
}

// Names whose words people write in capitals.
const ACRONYMS: Record<string, string> = { id: 'ID', url: 'URL', kms: 'KMS', s3: 'S3', rpo: 'RPO', rto: 'RTO', mib: 'MiB', sql: 'SQL', tls: 'TLS' };

/** `accessKeyId` → "Access key ID", `max_size` → "Max size". */
function words(name: string): string {
  const parts = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .split(' ')
    .filter(Boolean)
    .map((w) => ACRONYMS[w] ?? w);
  const text = parts.join(' ');
  return text ? text[0]!.toUpperCase() + text.slice(1) : name;
}

/** A singular for a list's name, to say which item: `schedules` → "schedule". */
const singular = (name: string) => words(name).toLowerCase().replace(/ies$/, 'y').replace(/s$/, '');

/**
 * What a person calls the field at `path`: the form's label when it has one, else words made from its name, with
 * the item it belongs to when it sits in a list (`schedules.0.cron` → "Cron (schedule 1)").
 */
export function fieldLabel(path: readonly string[], labels: FieldLabels = {}): string {
  const whole = path.join('.');
  if (labels[whole]) return labels[whole];
  const named = path.filter((p) => !/^\d+$/.test(p));
  const last = named[named.length - 1];
  if (last === undefined) return 'This value';
  if (labels[last]) return labels[last];
  const indexAt = path.findIndex((p) => /^\d+$/.test(p));
  const list = indexAt > 0 ? path[indexAt - 1] : undefined;
  return list !== undefined && list !== last ? `${words(last)} (${singular(list)} ${Number(path[indexAt]) + 1})` : words(last);
}

const issueLine = (i: ApiIssue, labels: FieldLabels) => (i.path.length > 0 ? `${fieldLabel(i.path, labels)}: ${endStop(i.message.trim())}` : sentence(i.message));

// "config.port: must be…" at the start of a message or after "; ": a field path the server put in front.
const LEADING_PATH = /^([A-Za-z_][\w]*(?:\.[\w]+)*): (.*)$/s;

/**
 * An error as a person should read it: its code apart (shown as a small tag, never glued to the words) and its
 * message as sentences, each field path turned into the field's label.
 */
export function errorParts(error: unknown, labels: FieldLabels = {}): { code: string | null; lines: string[] } {
  if (error instanceof ApiError) {
    const issues = error.issues;
    if (issues.length > 0) return { code: error.code, lines: issues.map((i) => issueLine(i, labels)) };
    // Only a validation message lists one problem per "; "; elsewhere "; " joins the parts of one sentence.
    const parts = error.code === 'VALIDATION' ? error.message.split(/;\s+/) : [error.message];
    const lines = parts
      .map((part) => {
        const m = LEADING_PATH.exec(part);
        return m && m[1]!.includes('.') ? `${fieldLabel(m[1]!.split('.'), labels)}: ${endStop(m[2]!.trim())}` : sentence(part);
      })
      .filter(Boolean);
    return { code: error.code, lines };
  }
  return { code: null, lines: [sentence(error instanceof Error ? error.message : String(error))] };
}
