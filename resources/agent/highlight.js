// Scroll to and highlight the passage a summary point cites. `__CLEF_PASSAGE__` is the passage's
// text as a JSON string. Returns whether it was found.
(() => {
  const wanted = __CLEF_PASSAGE__.replace(/\s+/g, " ").trim();
  const normal = (text) => (text || "").replace(/\s+/g, " ").trim();
  const previous = document.querySelectorAll("[data-clef-highlight]");
  for (const element of previous) {
    element.style.outline = element.dataset.clefOutline || "";
    element.style.backgroundColor = element.dataset.clefBackground || "";
    delete element.dataset.clefHighlight;
  }
  if (!document.body || !wanted) return false;
  const find = (needle) => {
    let best = null;
    let bestLength = Infinity;
    for (const element of document.body.querySelectorAll("p, li, blockquote, pre, td, th, dd, dt, h1, h2, h3, h4, h5, h6, div, section, article, figcaption")) {
      const text = normal(element.textContent);
      if (text.length < bestLength && text.includes(needle)) {
        best = element;
        bestLength = text.length;
      }
    }
    return best;
  };
  const target = find(wanted.slice(0, 80)) || find(wanted.slice(0, 30));
  if (!target) return false;
  target.dataset.clefHighlight = "1";
  target.dataset.clefOutline = target.style.outline;
  target.dataset.clefBackground = target.style.backgroundColor;
  target.style.outline = "3px solid #f2b705";
  target.style.backgroundColor = "rgba(242, 183, 5, 0.25)";
  target.scrollIntoView({ block: "center" });
  return true;
})()
