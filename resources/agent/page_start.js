// Runs in every document of a page the agent may drive, before the page's own scripts: notes
// which elements get click listeners (so elements made clickable by script can be acted on)
// and which short timers are pending (so the agent waits for them before it looks again).
// It changes nothing a page does.
(() => {
  if (window[Symbol.for("clef.listeners")]) return;
  const listened = new WeakSet();
  const timers = new Set();
  window[Symbol.for("clef.listeners")] = listened;
  window[Symbol.for("clef.timers")] = timers;
  const clicks = new Set(["click", "mousedown", "mouseup", "pointerdown", "pointerup", "dblclick", "touchstart"]);
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (clicks.has(type) && this instanceof Element) listened.add(this);
    return add.call(this, type, listener, options);
  };
  // Timers of up to half a second are what a page uses to finish a reaction.
  const setTimer = window.setTimeout;
  const clearTimer = window.clearTimeout;
  window.setTimeout = function (callback, delay, ...rest) {
    if (typeof callback !== "function" || !(Number(delay) <= 500)) return setTimer.call(window, callback, delay, ...rest);
    let id;
    const run = function () {
      timers.delete(id);
      return callback.apply(this, arguments);
    };
    id = setTimer.call(window, run, delay, ...rest);
    timers.add(id);
    return id;
  };
  window.clearTimeout = function (id) {
    timers.delete(id);
    return clearTimer.call(window, id);
  };
})();
