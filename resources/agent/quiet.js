// Whether the page has settled: its readiness, milliseconds since the DOM last changed (an
// observer installed on first call), and short timers still pending (counted by
// page_start.js where the browser installed it at document start).
(() => {
  const key = Symbol.for("clef.quiet");
  let state = window[key];
  if (!state) {
    state = window[key] = { last: performance.now() };
    new MutationObserver(() => { state.last = performance.now(); })
      .observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  }
  const timers = window[Symbol.for("clef.timers")];
  return JSON.stringify({
    ready: document.readyState,
    since_change_ms: performance.now() - state.last,
    pending_timers: timers ? timers.size : 0,
  });
})()
