// The runtime's network calls, written in JS on purpose: wasm hands over finished strings and
// gets one string back, instead of building init objects, reading `Response`s and chaining
// promises through a dozen JsValue imports (measured in docs/size.md). `cargo xtask dist` bundles
// this module into the glue (esbuild `--bundle`), so it is no extra request.

// http.rs `set_api`: the API origin every runtime path is joined to, and the config manifest
// requests the loader started (exact URL → `fetch` promise), each handed out once by `ckFetch`
// (a body can be read only once). Kept here, not in the wasm: a string and an object cost fewer
// bytes in JS than two thread-locals and their property imports in Rust (docs/size.md).
let api = '';
let pre = {};
// The loader's lazy chunk loader (boot.rs `BootOptions::need`), kept here for the same reason.
let need;

export function ckApi(origin, prefetched, loader) {
  api = origin;
  pre = prefetched || {};
  need = loader;
}

// 1: chunk on its way (the loader mounts `el` again when it settles), 2: it failed, 0: none.
export function ckNeed(chunk, el) {
  return need ? need(chunk, el) : 0;
}

// The usage pixel's batch (metrics.rs renders each event; this only collects and sends, in JS
// because a string, a counter and a timer cost fewer bytes here than behind wasm imports): one
// token's events, sent 3 s after the first, at 100 events (the server's limit per body), before
// an event of another token, and on `pagehide` / `visibilitychange` (the last chance before a tab
// is closed or frozen; a flush when the page becomes visible again only sends early).
let events = '';
let count = 0;
let batchToken, batchUrl, timer, listening;

function flush() {
  clearTimeout(timer);
  timer = 0;
  if (count) ckBeacon(batchUrl, '{"token":"' + batchToken + '","events":[' + events + ']}');
  events = '';
  count = 0;
}

// `event` is one rendered JSON object; `token` and `path` need no escaping (metrics.rs).
export function ckMetric(path, token, event) {
  if (!listening) {
    listening = 1;
    addEventListener('pagehide', flush);
    document.addEventListener('visibilitychange', flush);
  }
  if (count && token != batchToken) flush();
  batchToken = token;
  batchUrl = api + path;
  events += (count++ ? ',' : '') + event;
  if (count >= 100) flush();
  else timer = timer || setTimeout(flush, 3e3);
}

// Fire-and-forget POST of a text body: `sendBeacon`, else `fetch(keepalive)` where the beacon is
// refused (queue full) or missing (it throws then). `text/plain` keeps it a CORS "simple request":
// no preflight, and no credentials are sent.
function ckBeacon(url, body) {
  try {
    if (navigator.sendBeacon(url, body)) return;
  } catch (_) {}
  // `Object` is a built-in no-op handler: a lost pixel is not worth an unhandled rejection.
  fetch(url, { method: 'POST', body, keepalive: true, credentials: 'omit' }).catch(Object);
}

// One try of a runtime request to `api + path`: for a GET, the loader's in-flight response for
// that URL the first time it is asked for (a retry finds none and asks anew), else a new `fetch`
// (no cookies, aborted by the browser after `ms` where `AbortSignal.timeout` exists; a non-empty
// `body` makes it a JSON POST). `done` gets one string:
// `"<status> <text>"` when a response and its body arrived, `"<status>!<error name>"` otherwise
// (status 0: no response at all). Parsed by http.rs `parse_reply`.
export function ckFetch(path, body, ms, done) {
  let status = 0;
  let url = api + path;
  let pending = !body && pre[url];
  // bytes: `0` instead of `delete` (falsy is all the lookup above needs).
  pre[url] = 0;
  let A = self.AbortSignal;
  let init = { credentials: 'omit', signal: A && A.timeout && A.timeout(ms) };
  if (body) {
    init.method = 'POST';
    init.body = body;
    init.headers = { 'content-type': 'application/json' };
  }
  (pending || fetch(url, init))
    .then((r) => ((status = r.status), r.text()))
    .then(
      (text) => done(status + ' ' + text),
      (e) => done(status + '!' + (e && e.name)),
    );
}
