// Shared page script of the embed-*.html test pages (external so it also runs under a strict CSP).
// Records the runtime's standard events and every beacon the page sends, for the e2e tests.
window.ckEvents = [];
window.ckBeacons = [];
// The publisher stub: calls made before the loader arrives are queued on ck.q.
window.ck = window.ck || function () { (ck.q = ck.q || []).push(arguments); };
['ready', 'widget:mounted', 'widget:unmounted', 'widget:error'].forEach(function (name) {
  ck('on', name, function (d) {
    ckEvents.push({ name: name, id: (d && d.id) || null, code: (d && d.code) || null,
      attribute: (d && d.attribute) || null, t: performance.now() });
  });
});
// Queue-order probe: these three calls must replay in exactly this order.
window.ckOrder = [];
ck('on', 'probe', function (d) { ckOrder.push('on:' + d); });
ck('emit', 'probe', 1);
ck('ready', function () { ckOrder.push('ready'); });
ck('emit', 'probe', 2);
(function () {
  var send = navigator.sendBeacon.bind(navigator);
  navigator.sendBeacon = function (url, body) {
    ckBeacons.push({ url: String(url), body: String(body) });
    return send(url, body);
  };
})();
// Proves the page's own script kept running after the embed did its work.
window.addEventListener('load', function () { document.body.setAttribute('data-page-ok', '1'); });
