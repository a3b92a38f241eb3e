// The probe matrix as a table: one row per source pod, one column per target pod,
// '.' when the target itself answered, 'X' when it did not. Pure.

export interface MatrixCell {
  readonly from: string;
  readonly to: string;
  readonly ok: boolean;
  readonly answeredBy?: string;
  readonly error?: string;
}

export interface MatrixTable {
  readonly title: string;
  readonly pods: readonly string[];
  readonly cells: readonly MatrixCell[];
  /** Pods left out, with why (no address of the family, not running). */
  readonly skipped?: readonly string[];
}

/** Reached means the target answered: an answer from another pod is a miss, noted below the table. */
export function reached(cell: MatrixCell): boolean {
  return cell.ok && (cell.answeredBy === undefined || cell.answeredBy === cell.to);
}

export function formatMatrix(table: MatrixTable): string {
  const { pods } = table;
  const byPair = new Map(table.cells.map((c) => [`${c.from}\u0000${c.to}`, c]));
  // Columns are numbered so wide names do not make the table unreadable.
  const header = ['', ...pods.map((_, i) => String(i + 1))];
  const rows = pods.map((from, i) => [
    `${i + 1} ${from}`,
    ...pods.map((to) => {
      const cell = byPair.get(`${from}\u0000${to}`);
      return cell === undefined ? '-' : reached(cell) ? '.' : 'X';
    }),
  ]);
  const first = Math.max(0, ...rows.map((r) => r[0]!.length));
  const width = Math.max(1, ...header.slice(1).map((h) => h.length));
  const line = (cells: string[]) => [cells[0]!.padEnd(first), ...cells.slice(1).map((c) => c.padStart(width))].join(' ').trimEnd();
  const out = [table.title, line(header), ...rows.map(line)];
  const wrong = table.cells.filter((c) => c.ok && !reached(c));
  if (wrong.length) out.push('', ...wrong.map((c) => `  ${c.from} -> ${c.to}: answered by ${c.answeredBy}`));
  if (table.skipped?.length) out.push('', 'not in the matrix:', ...table.skipped.map((s) => `  ${s}`));
  const ok = table.cells.filter(reached).length;
  out.push('', `${ok}/${table.cells.length} reached ('.' reached, 'X' not, '-' not probed)`);
  return `${out.join('\n')}\n`;
}
