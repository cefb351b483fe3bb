/** A Markdown table, padded for the terminal: the first `left` columns left-aligned. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  left = 1,
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i < left ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < left ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

export function fmtInt(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US');
}

export function fmtMs(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return n < 10 ? n.toFixed(2) : n.toFixed(1);
}

export function fmtRatio(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '–' : `${n.toFixed(2)}×`;
}
