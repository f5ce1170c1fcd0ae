/*! Clickeen embed loader. Hand-written, shipped as is (budget 1.5 KB gz): comments stay short; see docs/runtime.md. */
// bytes: arrow IIFE; its parameters are short local names for globals used more than once.
((w, d, P, M) => {
  let c = w.ck, s, base, api, tok, t0, run, sent;
  // Second inclusion: the first loader owns `ck`; change nothing.
  if (c && c.l) return;
  t0 = P.now();
  P.mark(M + 'start');
  // Calls queued by a publisher stub (`ck.q`) stay first, in call order.
  let q = (c && c.q) || [];
  // One `ck` for the page's life: queues until ready, then forwards.
  // bytes: `apply(0, …)`: the runtime ignores `this`.
  c = w.ck = function () { run ? run.apply(0, arguments) : q.push(arguments); };
  c.q = q;
  c.l = 1;
  s = d.currentScript || d.querySelector('script[src$="loader.js"]');
  if (!s) return;
  // Glue and wasm sit next to the loader (same version folder).
  // bytes: regex drops the file name (shorter than lastIndexOf + slice).
  base = s.src.replace(/[^/]*$/, '');
  api = s.dataset.ckApi || new URL(s.src).origin;
  tok = s.dataset.ckToken || '';
  // Report once, fire-and-forget; the page stays as it was.
  // bytes: `tok || void 0` lets JSON.stringify drop an absent token.
  let fail = (e) => {
    if (sent) return;
    sent = 1;
    try {
      navigator.sendBeacon(api + '/api/v1/errors',
        JSON.stringify({ token: tok || void 0, src: 'loader', msg: ('' + e).slice(0, 500) }));
    } catch (_) {}
  };
  if (!w.WebAssembly) return fail('no WebAssembly');
  // import() of the ES-module glue needs no eval (CSP-safe). Its init() fetches the wasm next to
  // itself with instantiateStreaming, falling back to arrayBuffer() on a wrong MIME type.
  import(base + 'ck_bindings.js')
    .then((m) => m.default().then(() => {
      P.mark(M + 'end');
      m.boot(api, tok, t0);
      // Replay in call order; calls made meanwhile append to q and run in turn.
      while (q.length) m.cmd.apply(0, q.shift());
      run = m.cmd;
    }))
    .catch(fail);
})(window, document, performance, 'ck:load:');
