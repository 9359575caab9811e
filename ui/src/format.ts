// Unit-aware number formatting: nanoseconds as ms/s/min, bytes as KiB/MiB/GiB, counts with
// k/M/G. Values arrive in the profile's sample unit (docs/api.md).

const timeSteps: Array<[number, string]> = [
  [3600e9, 'h'],
  [60e9, 'min'],
  [1e9, 's'],
  [1e6, 'ms'],
  [1e3, 'µs'],
  [1, 'ns'],
];
const byteSteps: Array<[number, string]> = [
  [1024 ** 4, 'TiB'],
  [1024 ** 3, 'GiB'],
  [1024 ** 2, 'MiB'],
  [1024, 'KiB'],
  [1, 'B'],
];
const countSteps: Array<[number, string]> = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
  [1, ''],
];

function scaled(v: number, steps: Array<[number, string]>, sep: string): string {
  const a = Math.abs(v);
  for (const [f, suffix] of steps) {
    if (a >= f || f === 1) {
      const x = v / f;
      const digits = Math.abs(x) >= 100 || Number.isInteger(x) ? 0 : Math.abs(x) >= 10 ? 1 : 2;
      return `${x.toFixed(digits)}${sep}${suffix}`.trimEnd();
    }
  }
  return String(v);
}

/** Formats `v` (in `unit`, e.g. "nanoseconds", "bytes", "count") for people. */
export function formatValue(v: number, unit: string): string {
  if (!Number.isFinite(v)) return '–';
  switch (unit) {
    case 'nanoseconds':
      return scaled(v, timeSteps, ' ');
    case 'microseconds':
      return scaled(v * 1e3, timeSteps, ' ');
    case 'milliseconds':
      return scaled(v * 1e6, timeSteps, ' ');
    case 'seconds':
      return scaled(v * 1e9, timeSteps, ' ');
    case 'bytes':
      return scaled(v, byteSteps, ' ');
    default:
      return scaled(v, countSteps, '');
  }
}

export function formatPercent(part: number, whole: number): string {
  if (whole === 0) return '0%';
  const p = (100 * part) / whole;
  return `${Math.abs(p) >= 10 ? p.toFixed(1) : p.toFixed(2)}%`;
}

/** A signed change, e.g. "+12.0 ms". */
export function formatDelta(v: number, unit: string): string {
  return (v > 0 ? '+' : v < 0 ? '−' : '±') + formatValue(Math.abs(v), unit);
}

export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
