// A word-level diff of two request lines (before and after the pull rewrite), so the part
// the proxy changed stands out. Pure; request lines are short, so a plain LCS table is fine.

export interface DiffPart {
  text: string;
  kind: 'same' | 'removed' | 'added';
}

/** Splits at URL punctuation, keeping it: `/a?b=c` → `/`, `a`, `?`, `b`, `=`, `c`. */
const tokens = (line: string): string[] => line.split(/([/?&=:@ ])/).filter((t) => t !== '');

/** The two lines as runs of unchanged and changed text. */
export function diffLines(before: string, after: string): { before: DiffPart[]; after: DiffPart[] } {
  const a = tokens(before);
  const b = tokens(after);
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const left: DiffPart[] = [];
  const right: DiffPart[] = [];
  const push = (parts: DiffPart[], text: string, kind: DiffPart['kind']): void => {
    const last = parts[parts.length - 1];
    if (last && last.kind === kind) last.text += text;
    else parts.push({ text, kind });
  };
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      push(left, a[i]!, 'same');
      push(right, b[j]!, 'same');
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      push(right, b[j++]!, 'added');
    } else {
      push(left, a[i++]!, 'removed');
    }
  }
  return { before: left, after: right };
}

/** A path as people read it: the query's percent-escapes decoded (`%2F` → `/`). */
export function readablePath(path: string): string {
  const q = path.indexOf('?');
  if (q < 0) return path;
  const query = path.slice(q + 1).split('&').map((pair) => {
    try {
      return decodeURIComponent(pair.replace(/\+/g, ' '));
    } catch {
      return pair;
    }
  });
  return `${path.slice(0, q)}?${query.join('&')}`;
}
