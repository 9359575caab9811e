// Autocomplete for a label selector input: label names after `{` or `,`, values after
// `name="`. Suggestions come from /api/v1/labels and /api/v1/label_values (cached).

import { h } from './dom';

export interface LabelSource {
  names: () => Promise<string[]>;
  values: (name: string) => Promise<string[]>;
}

interface Context {
  kind: 'name' | 'value';
  label: string;
  prefix: string;
  start: number;  // where the prefix starts in the text
}

/** What is being typed at `caret`: a label name or the value of a label. */
export function completionContext(text: string, caret: number): Context | null {
  const before = text.slice(0, caret);
  const value = /([A-Za-z_][A-Za-z0-9_.]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)$/.exec(before);
  if (value) return { kind: 'value', label: value[1], prefix: value[3], start: caret - value[3].length };
  const name = /(^|[{,])\s*([A-Za-z_][A-Za-z0-9_.]*)?$/.exec(before);
  if (name) {
    const prefix = name[2] ?? '';
    return { kind: 'name', label: '', prefix, start: caret - prefix.length };
  }
  return null;
}

export function attachAutocomplete(input: HTMLInputElement, source: LabelSource,
                                   onPick: () => void): HTMLElement {
  const list = h('ul', { class: 'suggest', role: 'listbox', 'data-testid': 'suggestions', hidden: '' });
  let items: string[] = [];
  let active = 0;
  let ctx: Context | null = null;
  let seq = 0;

  const close = () => { list.hidden = true; items = []; };
  const pick = (s: string) => {
    if (!ctx) return;
    const text = input.value;
    const caret = input.selectionStart ?? text.length;
    let insert: string;
    if (ctx.kind === 'name') {
      insert = `${s}="`;
    } else {
      insert = `${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
      if (text[caret] === '"') insert = insert.slice(0, -1);
    }
    let head = text.slice(0, ctx.start);
    if (ctx.kind === 'name' && !head.trim()) head = '{';
    input.value = head + insert + text.slice(caret);
    const pos = head.length + insert.length;
    input.setSelectionRange(pos, pos);
    close();
    input.focus();
    if (ctx.kind === 'value') {
      if (!input.value.trimEnd().endsWith('}')) input.value = input.value.trimEnd() + '}';
      onPick();
    } else {
      void update();
    }
  };
  const draw = () => {
    list.replaceChildren(...items.map((s, i) => {
      const li = h('li', { role: 'option', 'aria-selected': String(i === active), 'data-value': s }, s);
      li.addEventListener('mousedown', (e) => { e.preventDefault(); pick(s); });
      return li;
    }));
    list.hidden = items.length === 0;
  };
  const update = async () => {
    const my = ++seq;
    ctx = completionContext(input.value, input.selectionStart ?? input.value.length);
    if (!ctx) return close();
    let all: string[];
    try {
      all = ctx.kind === 'name' ? await source.names() : await source.values(ctx.label);
    } catch {
      return close();
    }
    if (my !== seq) return;
    const p = ctx.prefix.toLowerCase();
    items = all.filter((s) => s.toLowerCase().startsWith(p) && s !== ctx!.prefix).slice(0, 50);
    active = 0;
    draw();
  };
  input.addEventListener('input', () => void update());
  input.addEventListener('focus', () => void update());
  input.addEventListener('click', () => void update());
  input.addEventListener('blur', () => window.setTimeout(close, 100));
  input.addEventListener('keydown', (e) => {
    if (list.hidden) {
      if (e.key === 'Enter') onPick();
      return;
    }
    if (e.key === 'ArrowDown') { active = Math.min(active + 1, items.length - 1); draw(); e.preventDefault(); }
    else if (e.key === 'ArrowUp') { active = Math.max(active - 1, 0); draw(); e.preventDefault(); }
    else if (e.key === 'Enter' || e.key === 'Tab') { if (items[active]) { pick(items[active]); e.preventDefault(); } }
    else if (e.key === 'Escape') close();
  });
  return list;
}
