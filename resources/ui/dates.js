// Date and time inputs, in each page of the window: Servo 0.7 draws them as text fields with no
// picker, so a click asks the window for Clef's own (in the pane), which answers through
// __clefSetDate. Typing into the field still works as before.
(() => {
  if (window.__clefDates) return;
  window.__clefDates = true;
  const log = console.log.bind(console);
  const TYPES = ["date", "time", "datetime-local", "month", "week"];
  let target = null;
  document.addEventListener("click", (event) => {
    const input = event.target;
    if (!input || input.tagName !== "INPUT" || input.disabled || input.readOnly) return;
    const type = (input.getAttribute("type") || "").toLowerCase();
    if (!TYPES.includes(type)) return;
    target = input;
    log("clef-date:" + JSON.stringify({
      type, value: input.value, min: input.getAttribute("min") || "", max: input.getAttribute("max") || "",
    }));
  }, true);
  window.__clefSetDate = (value) => {
    if (!target || !target.isConnected) return false;
    target.focus();
    target.value = value;
    target.dispatchEvent(new Event("input", { bubbles: true }));
    target.dispatchEvent(new Event("change", { bubbles: true }));
    return true;
  };
})();
