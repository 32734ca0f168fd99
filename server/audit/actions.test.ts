import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, AuditAction, isAuditAction } from './actions';

const ARCHITECTURE = path.resolve(import.meta.dirname, '../../docs/ARCHITECTURE.md');

/** The backticked names of the "Actions:" paragraph in the "## Audit trail" section. */
function documentedActions(markdown: string): string[] {
  const section = /^## Audit trail\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(markdown)?.[1];
  if (section === undefined) throw new Error('docs/ARCHITECTURE.md has no "## Audit trail" section');
  const start = section.indexOf('Actions:');
  if (start < 0) throw new Error('the "Audit trail" section of docs/ARCHITECTURE.md has no "Actions:" list');
  // The list runs to the end of its paragraph (the next blank line).
  const paragraph = section.slice(start).split(/\n\s*\n/)[0]!;
  return [...paragraph.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

describe('audit actions', () => {
  it('docs/ARCHITECTURE.md lists exactly the actions of server/audit/actions.ts', () => {
    const documented = documentedActions(fs.readFileSync(ARCHITECTURE, 'utf8'));
    const declared: readonly string[] = AUDIT_ACTIONS;
    const notDocumented = declared.filter((a) => !documented.includes(a));
    const notDeclared = documented.filter((a) => !declared.includes(a));
    const problems = [
      ...(notDocumented.length > 0
        ? [`in server/audit/actions.ts but missing from the "Actions:" list of docs/ARCHITECTURE.md ("Audit trail"): ${notDocumented.join(', ')}`]
        : []),
      ...(notDeclared.length > 0
        ? [`in the "Actions:" list of docs/ARCHITECTURE.md ("Audit trail") but missing from AUDIT_ACTIONS in server/audit/actions.ts: ${notDeclared.join(', ')}`]
        : []),
    ];
    expect(problems.join('\n'), problems.join('\n')).toBe('');
    expect(new Set(documented).size, 'docs/ARCHITECTURE.md lists an action twice').toBe(documented.length);
  });

  it('names every action once, as entity.verb', () => {
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length);
    for (const action of AUDIT_ACTIONS) expect(action).toMatch(/^[a-z][a-z-]*\.[a-z][a-z-]*$/);
  });

  it('parses stored strings at the edge', () => {
    expect(isAuditAction('copy.finish')).toBe(true);
    expect(isAuditAction('copy.finished')).toBe(false);
    expect(AuditAction.safeParse('run.retry').success).toBe(true);
    expect(AuditAction.safeParse('source.drop').success).toBe(false);
  });

  it('finds the list however the doc wraps it (and says what is missing)', () => {
    const doc = '# x\n\n## Audit trail\n\nText `not.this`.\nActions: `a.one`,\n`b.two`.\n\nLater `c.three`.\n\n## Next\n`d.four`\n';
    expect(documentedActions(doc)).toEqual(['a.one', 'b.two']);
    expect(() => documentedActions('# x\n## Other\n')).toThrow(/no "## Audit trail" section/);
  });
});
