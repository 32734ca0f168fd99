import { EVENT_TITLES, type NotificationPayload } from './events';

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/** `[Lifeboat] Backup failed: Backup of "orders" failed: …`, one line, for a mail subject. */
export function subjectOf(p: NotificationPayload): string {
  return cut(`[Lifeboat] ${EVENT_TITLES[p.event]}: ${p.summary}`.replace(/[\r\n]+/g, ' '), 200);
}

/** The plain-text mail body: the summary, then the facts one per line, then the link. */
export function textOf(p: NotificationPayload): string {
  const lines = [p.summary, '', `Event: ${p.event}`, `At: ${p.at}`];
  if (p.source) lines.push(`Source: ${p.source.name} (${p.source.id})`);
  if (p.runId) lines.push(`Run: ${p.runId}`);
  if (p.restoreRequestId) lines.push(`Restore request: ${p.restoreRequestId}`);
  for (const [k, v] of Object.entries(p.details)) {
    if (v === null || v === undefined) continue;
    lines.push(`${k}: ${cut(typeof v === 'string' ? v : JSON.stringify(v), 500)}`);
  }
  lines.push('', `Open in Lifeboat: ${p.link}`, '', `Event id: ${p.id}`);
  return lines.join('\n');
}

/** Slack's mrkdwn needs &, < and > escaped; everything else is shown as written. */
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One Slack message: the title in bold, the summary, and the link. */
export function slackTextOf(p: NotificationPayload): string {
  return `*${slackEscape(EVENT_TITLES[p.event])}*: ${slackEscape(cut(p.summary, 2_000))}\n<${p.link}|Open in Lifeboat>`;
}
