// The runtime's two network calls, written in JS on purpose: wasm hands over finished strings and
// gets one string back, instead of building init objects, reading `Response`s and chaining
// promises through a dozen JsValue imports (measured in docs/size.md). `cargo xtask dist` bundles
// this module into the glue (esbuild `--bundle`), so it is no extra request.

// Fire-and-forget POST of a text body: `sendBeacon`, else `fetch(keepalive)` where the beacon is
// refused (queue full) or missing (it throws then). `text/plain` keeps it a CORS "simple request":
// no preflight, and no credentials are sent.
export function ckBeacon(url, body) {
  try {
    if (navigator.sendBeacon(url, body)) return;
  } catch (_) {}
  // `Object` is a built-in no-op handler: a lost pixel is not worth an unhandled rejection.
  fetch(url, { method: 'POST', body, keepalive: true, credentials: 'omit' }).catch(Object);
}

// One try of a runtime request: `pending` (the loader's in-flight response for this URL) or a new
// `fetch` (no cookies, aborted by the browser after `ms` where `AbortSignal.timeout` exists; a
// non-empty `body` makes it a JSON POST). `done` gets one string:
// `"<status> <text>"` when a response and its body arrived, `"<status>!<error name>"` otherwise
// (status 0: no response at all). Parsed by http.rs `parse_reply`.
export function ckFetch(url, body, pending, ms, done) {
  let status = 0;
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
