// The `ck` global installed by https://HOST/embed/v{semver}/loader.js (Clickeen Embed).
// Before the runtime is ready, calls are queued; afterwards they run at once. Queued calls
// replay in global call order. `ck` never throws: bad arguments log a console warning.

/** Standard events; widgets add their own (e.g. `form:submit`, `form:success`, `form:error`). */
export type CkStandardEvent =
  | 'ready'
  | 'widget:mounted'
  | 'widget:unmounted'
  | 'widget:error'
  | 'widget:open'
  | 'widget:close';

/** Detail of `widget:mounted` and `widget:unmounted`. */
export interface CkWidgetDetail {
  /** The mount element (shadow host). */
  element: Element;
  /** `data-ck-widget`. */
  type: string;
  /** `data-ck-id`, or null. */
  id: string | null;
}

/** Detail of `widget:open` and `widget:close` (a `data-ck-mode` popup or slide-in). */
export interface CkModeDetail extends CkWidgetDetail {
  /** `data-ck-id` (a presented widget always has one). */
  id: string;
  /** `data-ck-mode`. */
  mode: 'popup' | 'slide';
}

/** Detail of `widget:error`. Never contains visitor input. */
export interface CkErrorDetail {
  element: Element;
  /** The attribute at fault (`data-ck-config`, `data-ck-widget`, …), absent for mount failures. */
  attribute?: string;
  /** Machine-readable code: `config_invalid_json`, `unknown_widget`, `bad_theme`, `mount_failed`, … */
  code: string;
  /** Human-readable reason (or the thrown value for `mount_failed`). */
  reason: unknown;
}

export interface Ck {
  /** Subscribe. Events emitted before anyone subscribed to that name (at most 64) are delivered first, in order. */
  (method: 'on', event: 'widget:mounted' | 'widget:unmounted', handler: (detail: CkWidgetDetail) => void): void;
  (method: 'on', event: 'widget:error', handler: (detail: CkErrorDetail) => void): void;
  (method: 'on', event: 'widget:open' | 'widget:close', handler: (detail: CkModeDetail) => void): void;
  (method: 'on', event: string, handler: (detail: unknown) => void): void;
  /** Unsubscribe a handler passed to `ck('on', …)` (same function object). */
  (method: 'off', event: string, handler: (detail: any) => void): void;
  /** Emit an event on the bus; inside a handler it is queued until the current delivery ends. */
  (method: 'emit', event: string, detail?: unknown): void;
  /** Mount a `[data-ck-widget]` element now (also one unmounted with `ck('unmount')`). */
  (method: 'mount', element: Element): void;
  /** Unmount; the element is left alone until `ck('mount', element)` or it leaves the DOM. */
  (method: 'unmount', element: Element): void;
  /**
   * Hand values to the widget of `element` (the form: hidden and visible fields by name; strings,
   * booleans for checkboxes), now or, before it has mounted, as soon as it does. The form sends the
   * latest values on submit; unknown names get one console warning naming them and are ignored.
   */
  (method: 'set', element: Element, values: Record<string, string | boolean>): void;
  /**
   * Open or close the popup or slide-in (`data-ck-mode`) whose `data-ck-id` is `id`. A click on
   * any element with `data-ck-open="id"` opens it too. Warns when none is mounted (yet).
   */
  (method: 'open' | 'close', id: string): void;
  /** Call `fn` once the runtime has booted (at once if it has). */
  (method: 'ready', fn: () => void): void;
  /** Internal: calls queued before the runtime loaded. */
  readonly q?: IArguments[];
}

declare global {
  interface Window {
    ck: Ck;
  }
  const ck: Ck;
}
