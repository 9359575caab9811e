// Colours: by package/module for a single profile, by change for a diff.

/**
 * The package or module of a function name:
 *   net/http.(*conn).serve -> net/http      main.fib -> main
 *   std::vector<int>::push_back -> std      java.util.HashMap.get -> java.util
 *   app/models.py:load -> app/models.py     [kernel.kallsyms] -> [kernel.kallsyms]
 */
export function packageOf(name: string): string {
  if (name.startsWith('[')) return name;
  const colons = name.indexOf('::');
  if (colons > 0) return name.slice(0, colons);
  const colon = name.indexOf(':');
  if (colon > 0) return name.slice(0, colon);
  const slash = name.lastIndexOf('/');
  const dot = name.indexOf('.', slash + 1);
  if (dot < 0) return name;
  // Java-like names: lower-case segments are the package, the first capital starts the class.
  const segments = name.split('.');
  if (slash < 0 && segments.length > 2 && !name.includes('(')) {
    const cls = segments.findIndex((s) => /^[A-Z]/.test(s));
    if (cls > 0) return segments.slice(0, cls).join('.');
  }
  return name.slice(0, dot);
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** A warm colour per package, stable across views and reloads. */
export function packageColor(pkg: string): string {
  const h = hash(pkg);
  const hue = 8 + (h % 48);             // red .. yellow
  const sat = 62 + ((h >>> 8) % 22);
  const light = 58 + ((h >>> 16) % 14);
  return `hsl(${hue},${sat}%,${light}%)`;
}

export const OTHER_COLOR = 'hsl(220,8%,78%)';
export const DIMMED_COLOR = 'hsl(0,0%,88%)';

/** Hues of shrinking frames: green, or blue for people who tell red from green poorly. */
export const SHRINK_HUE: Record<string, number> = { 'red-green': 140, 'red-blue': 215 };

/**
 * Diff colour from the shares of a node on each side: growth red, shrink green (or blue);
 * the intensity follows the relative change, saturating at ±100 %.
 */
export function diffColor(leftShare: number, rightShare: number, palette = 'red-green'): string {
  const shrink = SHRINK_HUE[palette] ?? 140;
  if (leftShare === 0 && rightShare > 0) return 'hsl(0,85%,45%)';
  if (rightShare === 0 && leftShare > 0) return `hsl(${shrink},60%,35%)`;
  const rel = (rightShare - leftShare) / Math.max(leftShare, rightShare, 1e-12);
  const a = Math.min(1, Math.abs(rel));
  if (a < 0.02) return 'hsl(0,0%,82%)';
  const light = 82 - 34 * a;
  return rel > 0 ? `hsl(0,80%,${light}%)` : `hsl(${shrink},55%,${light}%)`;
}
