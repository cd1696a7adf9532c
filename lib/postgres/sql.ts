/**
 * SQL fragments shared by the PostgreSQL facades.
 *
 * @packageDocumentation
 */

/** A SQL string literal (`standard_conforming_strings` is on in every session of ours). */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * Condition selecting the `pg_locks` rows (alias `l`) of bigint advisory keys in the
 * current database; with `key`, only that key (a bigint SQL expression). A bigint key `k`
 * shows as `classid = k >> 32`, `objid = k & 0xffffffff`, `objsubid = 1`.
 */
export function advisoryRows(key?: string): string {
  const rows = `l.locktype = 'advisory' AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
  return key === undefined ? rows : `${rows} AND ((l.classid::bigint << 32) | l.objid::bigint) = ${key}`;
}
