// Client of Hearth's JSON API (docs/api.md). Every call throws ApiError with the server's
// message (or the network failure) so views can say what failed.

export interface ProfileType {
  id: string;
  name: string;
  sample_type: string;
  sample_unit: string;
  period_type: string;
  period_unit: string;
}

export interface FlatTree {
  parent: number[];
  name: number[];
  self: number[];
  total: number[];
  names: string[];
}

export interface MergeGroup {
  labels: Record<string, string>;
  total: number;
  truncated: boolean;
  flamegraph: FlatTree;
}

export interface MergeResponse {
  profile_type: string;
  unit: string;
  from: number;
  until: number;
  groups: MergeGroup[];
  stats: { series: number; samples: number; nodes: number };
  warnings: string[];
}

export interface TopRow {
  name: string;
  flat: number;
  flat_percent: number;
  cum: number;
  cum_percent: number;
  inline?: boolean;
}

export interface TopResponse {
  unit: string;
  groups: Array<{ labels: Record<string, string>; total: number; rows: TopRow[] }>;
}

export interface SeriesResponse {
  unit: string;
  from: number;
  until: number;
  step: number;
  series: Array<{ labels: Record<string, string>; total: number; points: Array<[number, number]> }>;
}

export interface DiffTree {
  parent: number[];
  name: number[];
  left_self: number[];
  left_total: number[];
  right_self: number[];
  right_total: number[];
  names: string[];
}

export interface DiffRow {
  name: string;
  left_flat: number;
  left_cum: number;
  right_flat: number;
  right_cum: number;
  diff_flat: number;
  diff_cum: number;
}

export interface DiffResponse {
  profile_type: string;
  unit: string;
  left: { query: string; from: number; until: number; total: number };
  right: { query: string; from: number; until: number; total: number };
  flamegraph: DiffTree;
  table: DiffRow[];
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly url: string,
  ) {
    super(message);
  }
}

export type Params = Record<string, string | string[] | undefined>;

export function apiUrl(path: string, params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    for (const one of Array.isArray(v) ? v : [v]) if (one !== '') q.append(k, one);
  }
  const s = q.toString();
  return `/api/v1/${path}${s ? '?' + s : ''}`;
}

export async function getJson<T>(path: string, params: Params, signal?: AbortSignal): Promise<T> {
  const url = apiUrl(path, params);
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: { Accept: 'application/json' } });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(`cannot reach the Hearth server (${(e as Error).message})`, 0, url);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.trim();
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? message;
    } catch {
      /* plain-text error */
    }
    throw new ApiError(message || `HTTP ${res.status}`, res.status, url);
  }
  return JSON.parse(text) as T;
}

export const api = {
  profileTypes: (p: Params, s?: AbortSignal) =>
    getJson<{ profile_types: ProfileType[] }>('profile_types', p, s),
  labels: (p: Params, s?: AbortSignal) => getJson<{ names: string[] }>('labels', p, s),
  labelValues: (p: Params, s?: AbortSignal) => getJson<{ values: string[] }>('label_values', p, s),
  merge: (p: Params, s?: AbortSignal) => getJson<MergeResponse>('merge', p, s),
  top: (p: Params, s?: AbortSignal) => getJson<TopResponse>('merge', { ...p, format: 'top' }, s),
  series: (p: Params, s?: AbortSignal) => getJson<SeriesResponse>('series', p, s),
  diff: (p: Params, s?: AbortSignal) => getJson<DiffResponse>('diff', p, s),
};
