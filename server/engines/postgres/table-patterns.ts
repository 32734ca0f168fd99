/**
 * pg_dump's `-t`/`-T` patterns as SQL regular expressions, exactly as pg_dump itself turns them into a catalog query
 * (`patternToSQLRegex` and `processSQLNamePattern` in src/fe_utils/string_utils.c), so that the row counts Lifeboat
 * takes cover the very tables the dump holds. Never evaluated here: the regexes go to the server as query parameters.
 *
 * Rules: unquoted ASCII letters are folded to lower case; `*` is `.*` and `?` is `.`; an unquoted `.` separates
 * database, schema and name (`db.schema.table`); inside double quotes everything is literal (`""` is one quote);
 * `$` is always literal; outside quotes other regex characters keep their meaning (as in pg_dump), except `[]`.
 */

export interface TablePatternRegex {
  /** Regex for the schema name; undefined when the pattern names no schema (pg_dump then uses visibility). */
  schema?: string;
  /** True when a schema was given as `*`: any schema, no visibility rule. */
  anySchema: boolean;
  /** Regex for the table name; undefined for `*` (any name). */
  name?: string;
  /** Number of unquoted dots: 2 names a database too, more is an error in pg_dump. */
  dots: number;
}

const REGEX_SPECIAL = '|*+?()[]{}.^$\\';
const MATCH_ANYTHING = '^(.*)$';

/** Splits and converts one pattern (see the module comment). */
export function tablePatternRegex(pattern: string): TablePatternRegex {
  // Up to three parts: database, schema, name (pg_dump passes a database buffer for `-t`).
  const parts: string[] = ['^('];
  let dots = 0;
  let inQuotes = false;
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i += 1) {
    const ch = chars[i]!;
    const last = parts.length - 1;
    if (ch === '"') {
      if (inQuotes && chars[i + 1] === '"') {
        parts[last] += '"';
        i += 1;
      } else {
        inQuotes = !inQuotes;
      }
    } else if (!inQuotes && ch >= 'A' && ch <= 'Z') {
      parts[last] += ch.toLowerCase();
    } else if (!inQuotes && ch === '*') {
      parts[last] += '.*';
    } else if (!inQuotes && ch === '?') {
      parts[last] += '.';
    } else if (!inQuotes && ch === '.') {
      dots += 1;
      if (parts.length < 3) {
        parts[last] += ')$';
        parts.push('^(');
      } else {
        parts[last] += ch;
      }
    } else if (ch === '$') {
      parts[last] += '\\$';
    } else {
      if (inQuotes && REGEX_SPECIAL.includes(ch)) parts[last] += '\\';
      else if (ch === '[' && chars[i + 1] === ']') parts[last] += '\\';
      parts[last] += ch;
    }
  }
  parts[parts.length - 1] += ')$';

  const name = parts.pop()!;
  const schema = parts.pop();
  return {
    ...(name !== MATCH_ANYTHING && { name }),
    ...(schema !== undefined && schema !== MATCH_ANYTHING && { schema }),
    anySchema: schema === MATCH_ANYTHING,
    dots,
  };
}

/**
 * A SQL condition matching `pg_class c` joined to `pg_namespace n` against the patterns, with its parameters
 * numbered from `firstParam`. Mirrors pg_dump's `expand_table_name_patterns`
 * (its own search_path for the visibility rule is the session's default, as pg_dump RESETs it for this query).
 */
export function tablePatternCondition(patterns: readonly string[], firstParam: number, serverNum: number): { sql: string; params: string[] } {
  // As pg_dump: names are of collation "C" from PostgreSQL 12 on; the pattern is matched with the database's own.
  const collate = serverNum >= 120_000 ? ' COLLATE pg_catalog.default' : '';
  const params: string[] = [];
  const param = (value: string) => {
    params.push(value);
    return `$${firstParam + params.length - 1}`;
  };
  const alternatives = patterns.map((pattern) => {
    const regex = tablePatternRegex(pattern);
    const terms: string[] = [];
    if (regex.name !== undefined) terms.push(`c.relname OPERATOR(pg_catalog.~) ${param(regex.name)}${collate}`);
    if (regex.schema !== undefined) terms.push(`n.nspname OPERATOR(pg_catalog.~) ${param(regex.schema)}${collate}`);
    else if (!regex.anySchema) terms.push('pg_catalog.pg_table_is_visible(c.oid)');
    return terms.length === 0 ? 'true' : `(${terms.join(' AND ')})`;
  });
  return { sql: alternatives.length === 0 ? 'false' : `(${alternatives.join(' OR ')})`, params };
}
