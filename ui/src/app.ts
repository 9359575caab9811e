// What every view gets: the state (mirrored in the URL), a way to change it, and the
// profile types known to the server.

import type { ProfileType } from './api';
import type { ViewState } from './state';

export interface UpdateOptions {
  /** Fetch and draw again (a new selection); false: only the URL changes (zoom, search). */
  reload?: boolean;
  /** A new history entry (Back returns here); default: replace the current one. */
  push?: boolean;
}

export interface App {
  state: ViewState;
  types: ProfileType[];
  update(patch: Partial<ViewState>, opts?: UpdateOptions): void;
}

export function unitOf(app: App, typeId: string): string {
  return app.types.find((t) => t.id === typeId)?.sample_unit ?? typeId.split(':')[2] ?? '';
}
