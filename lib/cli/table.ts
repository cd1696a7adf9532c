/**
 * Plain-text tables for `locksfile status`: columns padded to their widest cell, the last
 * column left unpadded (it holds long command lines), two spaces between columns.
 *
 * @packageDocumentation
 */

/** Lays out `header` and `rows` as lines of aligned columns. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '));
}
