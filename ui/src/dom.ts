// Tiny DOM helpers and the empty / loading / error states every view shares.

type Child = Node | string | null | undefined | false;

export function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c);
  }
  return el;
}

export function button(label: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = h('button', { type: 'button', ...attrs }, label) as HTMLButtonElement;
  b.addEventListener('click', onClick);
  return b;
}

export function loading(what: string): HTMLElement {
  return h('div', { class: 'state loading', role: 'status', 'data-testid': 'loading' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }), `Loading ${what}…`);
}

/** An error: what failed, the server's message, and what to do about it. */
export function errorBox(what: string, err: unknown, hint?: string): HTMLElement {
  const e = err as { message?: string; status?: number };
  const message = e?.message ?? String(err);
  let advice = hint ?? '';
  if (!advice) {
    if (e?.status === 0) advice = 'Check that `hearth server` is running and reachable, then retry.';
    else if (e?.status === 400) advice = 'Fix the selector or time range (the message says where), then run the query again.';
    else if (e?.status === 401 || e?.status === 403) advice = 'This server needs a token for this tenant.';
    else if (e?.status === 429) advice = 'Narrow the selector or the time range.';
    else advice = 'Retry; if it persists, the server log has the details.';
  }
  return h('div', { class: 'state error', role: 'alert', 'data-testid': 'error' },
    h('strong', {}, `Could not load ${what}.`), h('div', { class: 'error-message' }, message),
    h('div', { class: 'hint' }, advice));
}

export function empty(message: string, hint: string): HTMLElement {
  return h('div', { class: 'state empty', 'data-testid': 'empty' }, h('strong', {}, message),
    h('div', { class: 'hint' }, hint));
}

export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let t = 0;
  return (...a: A) => {
    window.clearTimeout(t);
    t = window.setTimeout(() => fn(...a), ms);
  };
}
