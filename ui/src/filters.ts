// Frame filters, pprof's -focus / -ignore / -hide applied by the server to every merge and
// diff of the view: keep only the stacks through some frames, drop the stacks through
// others, or take frames out of every stack (their callees move up to their callers).
// Patterns are RE2 regular expressions matched against function, file and binary names.

import type { App } from './app';
import { button, h } from './dom';

/** Frames people often want out of the way. */
export const HIDE_PRESETS: Array<[string, string]> = [
  ['Go runtime', '^runtime\\.'],
  ['C library and program start', '^(libc\\.so|ld-linux|__libc_|_start$)'],
];

/** What the view filters, in a few words ('' when nothing). */
export function describeFilters(s: { only: string; without: string; hide: string }): string {
  const parts: string[] = [];
  if (s.only) parts.push(`only ${s.only}`);
  if (s.without) parts.push(`without ${s.without}`);
  if (s.hide) parts.push(`hiding ${s.hide}`);
  return parts.join(' · ');
}

export function frameFilters(app: App): HTMLElement {
  const s = app.state;
  const input = (testId: string, value: string, placeholder: string) =>
    h('input', { type: 'text', value, placeholder, spellcheck: 'false', autocomplete: 'off',
                 'data-testid': testId, class: 'regex' }) as HTMLInputElement;
  const only = input('filter-only', s.only, 'main\\.handle');
  const without = input('filter-without', s.without, 'gc|scavenge');
  const hide = input('filter-hide', s.hide, '^runtime\\.');
  const presets = h('select', { 'aria-label': 'Hide preset', 'data-testid': 'filter-preset' }) as HTMLSelectElement;
  presets.append(h('option', { value: '' }, 'Add a preset…'),
    ...HIDE_PRESETS.map(([label, re]) => h('option', { value: re }, label)));
  presets.addEventListener('change', () => {
    const re = presets.value;
    if (re && !hide.value.split('|').includes(re)) hide.value = hide.value ? `${hide.value}|${re}` : re;
    presets.value = '';
  });
  const apply = () => app.update({ only: only.value.trim(), without: without.value.trim(), hide: hide.value.trim(), focus: '' },
                                 { reload: true, push: true });
  for (const i of [only, without, hide]) i.addEventListener('keydown', (e) => { if (e.key === 'Enter') apply(); });
  const active = describeFilters(s);
  const row = (label: string, title: string, ...el: HTMLElement[]) =>
    h('label', { class: 'field', title }, h('span', {}, label), h('div', { class: 'inline' }, ...el));
  const panel = h('details', { class: 'filters', 'data-testid': 'filters' },
    h('summary', { 'data-testid': 'filters-summary' }, active ? `Frames: ${active}` : 'Filter frames'),
    h('div', { class: 'filters-body' },
      row('Only stacks through', 'pprof -focus: keep the samples with a frame matching this regexp', only),
      row('Without stacks through', 'pprof -ignore: drop the samples with a frame matching this regexp', without),
      row('Hide frames', 'pprof -hide: remove matching frames from every stack', hide, presets),
      h('div', { class: 'inline' },
        button('Apply', apply, { class: 'primary', 'data-testid': 'filter-apply' }),
        button('Clear', () => app.update({ only: '', without: '', hide: '', focus: '' }, { reload: true, push: true }),
               { 'data-testid': 'filter-clear' }))));
  if (active) panel.classList.add('active');
  return panel;
}
