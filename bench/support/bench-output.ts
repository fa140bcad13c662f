/** Printing helpers shared by the benchmarks: aligned tables and units. */
export function printTable(headers: string[], rows: (string | number)[][]): void {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((row) => (row[c] ?? '').length)));
  const line = (row: string[]): string =>
    `  ${row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')}`.trimEnd();
  console.log(line(cells[0]!));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of cells.slice(1)) console.log(line(row));
}

export const ms = (value: number, digits = 3): string => `${value.toFixed(digits)} ms`;
export const pct = (value: number, digits = 1): string => `${(value * 100).toFixed(digits)}%`;
