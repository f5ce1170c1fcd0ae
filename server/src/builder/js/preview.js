// The live preview: the real embed (the loader, glue and wasm a publisher's visitors get), mounted
// through the public `ck()` API with the config inline. No `data-ck-id` and no token, so the
// runtime fetches nothing and sends no usage events for a preview.
//
//   const preview = mountPreview(container);
//   preview.show(config, 'dark');   // re-renders in place

const LOADER = '/embed/latest/loader.js';

/** The `ck` queue: the loader replays calls made before it ran (the publisher stub). */
function ck(...args) {
  window.ck = window.ck || function () { (window.ck.q = window.ck.q || []).push(arguments); };
  window.ck(...args);
}

function ensureLoader() {
  if (document.querySelector(`script[src="${LOADER}"]`)) return;
  const script = document.createElement('script');
  script.async = true;
  script.src = LOADER;
  document.head.append(script);
}

/** Mounts a preview into `container`; returns `{show(config, theme)}`. */
export function mountPreview(container) {
  ensureLoader();
  const el = document.createElement('div');
  el.dataset.ckWidget = 'form';
  let mounted = false;
  return {
    show(config, theme) {
      // The runtime reads attributes when it mounts: unmount, change them, mount again (the
      // shadow root is reused, so the preview does not flash or grow the page's DOM).
      if (mounted) ck('unmount', el);
      el.dataset.ckConfig = JSON.stringify(config);
      el.dataset.ckTheme = theme || 'auto';
      if (!el.isConnected) container.append(el);
      ck('mount', el);
      mounted = true;
    },
    element: el,
  };
}
