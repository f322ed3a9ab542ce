// Find an element the snapshot named by id, bring it into view and say where it is.
// `__CLEF_ID__` is the id; `__CLEF_OP__` what to do besides locating: "locate", "clear",
// "select:<json option text>", "state".
(() => {
  const state = window[Symbol.for("clef.snapshot.ids")];
  const element = state && state.elements.get(__CLEF_ID__);
  if (!element || !element.isConnected) return JSON.stringify({ found: false });
  const op = __CLEF_OP__;
  if (op === "clear" && "value" in element) {
    element.value = "";
    element.dispatchEvent(new Event("input", { bubbles: true }));
  }
  if (op.startsWith("select:") && element.options) {
    const wanted = JSON.parse(op.slice(7)).replace(/\s+/g, " ").trim();
    const option = Array.from(element.options).find((o) => (o.label || o.textContent).replace(/\s+/g, " ").trim() === wanted);
    if (!option) return JSON.stringify({ found: true, error: "no such option" });
    element.value = option.value;
    element.dispatchEvent(new Event("input", { bubbles: true }));
    element.dispatchEvent(new Event("change", { bubbles: true }));
  }
  element.scrollIntoView({ block: "center", inline: "center" });
  // Coordinates in the top-level viewport, across same-origin frames.
  let rect = element.getBoundingClientRect();
  let x = rect.left + rect.width / 2;
  let y = rect.top + rect.height / 2;
  let view = element.ownerDocument.defaultView;
  while (view && view.frameElement) {
    const frame = view.frameElement.getBoundingClientRect();
    x += frame.left;
    y += frame.top;
    view = view.parent;
  }
  const top = document.elementFromPoint(x, y);
  const covered = top && element.ownerDocument === document && top !== element && !element.contains(top) && !top.contains(element)
    && !(element.labels && Array.from(element.labels).some((label) => label.contains(top)));
  return JSON.stringify({
    found: true,
    x, y,
    width: rect.width,
    height: rect.height,
    checked: "checked" in element ? element.checked : null,
    value_length: "value" in element ? String(element.value).length : null,
    covered_by: covered ? (top.textContent || top.tagName).replace(/\s+/g, " ").trim().slice(0, 60) : null,
  });
})()
