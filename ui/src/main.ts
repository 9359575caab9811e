// Hearth's web UI: the app shell, routing (/, /compare, /span) and state <-> URL.

import './style.css';
import { api, type ProfileType } from './api';
import type { App, UpdateOptions } from './app';
import { renderCompare } from './compare';
import { button, empty, errorBox, h, loading } from './dom';
import { renderSingle } from './single';
import { parseUrl, toUrl, type ViewState } from './state';

const PREFERRED = ['process_cpu:cpu:nanoseconds:cpu:nanoseconds', 'wall:wall:nanoseconds:wall:nanoseconds'];

class HearthApp implements App {
  state: ViewState;
  types: ProfileType[] = [];
  private readonly main: HTMLElement;
  private controller = new AbortController();

  constructor(root: HTMLElement) {
    this.state = parseUrl(location);
    this.main = h('main', { id: 'main' });
    root.replaceChildren(this.header(), this.main);
    window.addEventListener('popstate', () => {
      this.state = parseUrl(location);
      void this.render();
    });
    const hooks = (window.__hearth ??= { graphs: {} });
    hooks.app = this;
  }

  private header(): HTMLElement {
    const spanIn = h('input', { type: 'text', placeholder: 'span or trace id', 'aria-label': 'Span or trace id',
                                'data-testid': 'span-input', spellcheck: 'false' }) as HTMLInputElement;
    const open = () => {
      const id = spanIn.value.trim().toLowerCase();
      if (!/^[0-9a-f]+$/.test(id)) { spanIn.setCustomValidity('hex span (16) or trace (32) id'); spanIn.reportValidity(); return; }
      const trace = id.length === 32;
      this.update({ view: 'span', spanId: trace ? '' : id, traceId: trace ? id : '', focus: '', point: '' },
                  { reload: true, push: true });
    };
    spanIn.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
    const nav = (label: string, view: ViewState['view']) =>
      button(label, () => this.update({ view, spanId: view === 'span' ? this.state.spanId : '', traceId: '' },
                                       { reload: true, push: true }), { class: 'nav', 'data-testid': `nav-${view}` });
    return h('header', { class: 'top' },
      h('a', { href: '/', class: 'brand' }, h('img', { src: '/favicon.svg', alt: '' }), 'Hearth'),
      nav('Explore', 'single'), nav('Compare', 'compare'),
      h('span', { class: 'span-open' }, spanIn, button('Open span', open, { 'data-testid': 'span-open' })));
  }

  update(patch: Partial<ViewState>, opts: UpdateOptions = {}): void {
    this.state = { ...this.state, ...patch };
    const url = toUrl(this.state);
    if (opts.push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
    if (opts.reload) void this.render();
  }

  async render(): Promise<void> {
    this.controller.abort();
    this.controller = new AbortController();
    const signal = this.controller.signal;
    const s = this.state;
    if (this.types.length === 0) {
      this.main.replaceChildren(loading('profile types'));
      try {
        const [inRange, recent] = await Promise.all([
          api.profileTypes({ from: s.from, until: s.until }, signal),
          api.profileTypes({ from: 'now-30d', until: 'now' }, signal),
        ]);
        const byId = new Map<string, ProfileType>();
        for (const t of [...inRange.profile_types, ...recent.profile_types]) byId.set(t.id, t);
        this.types = [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
      } catch (e) {
        if (signal.aborted) return;
        this.main.replaceChildren(errorBox('the profile types', e), button('Retry', () => void this.render()));
        return;
      }
    }
    if (this.types.length === 0 && !s.type) {
      this.main.replaceChildren(empty('No profiles stored yet.',
        'Push profiles to this server (Pyroscope SDKs, the Parca agent, OTLP, or `curl --data-binary @cpu.pb.gz ' +
        `'${location.origin}/ingest?name=myapp&format=pprof'\`), then reload.`),
        button('Reload', () => { this.types = []; void this.render(); }));
      return;
    }
    if (!s.type) {
      const pick = PREFERRED.find((p) => this.types.some((t) => t.id === p)) ?? this.types[0].id;
      this.update({ type: pick });
    }
    document.title = `Hearth · ${this.state.type.split(':').slice(0, 2).join(' ')}`;
    this.main.dataset.view = this.state.view;
    if (this.state.view === 'compare') renderCompare(this, this.main, signal);
    else renderSingle(this, this.main, signal);
  }
}

void new HearthApp(document.getElementById('app')!).render();
