// The page's HTML without what a user cannot see (see unseen.js: hidden, transparent, clipped,
// off-page, the colour of its background, font-size 0), for the reader. Works on a clone walked beside the live tree,
// so the page itself is never modified.
(() => {
  /*__CLEF_UNSEEN__*/
  const hidden = (element) => {
    const style = getComputedStyle(element);
    return style.visibility === "hidden" || style.visibility === "collapse" || unseen.gone(element, style);
  };
  // A PDF: the browser shows none (the reader fetches its bytes).
  if (document.contentType === "application/pdf") {
    return JSON.stringify({ url: location.href, title: document.title, contentType: document.contentType, html: "" });
  }
  const root = document.documentElement;
  if (!root) return JSON.stringify({ url: location.href, title: document.title, contentType: document.contentType, html: "" });
  const copy = root.cloneNode(true);
  const prune = (live, cloned) => {
    const liveChildren = Array.from(live.children);
    const clonedChildren = Array.from(cloned.children);
    liveChildren.forEach((child, index) => {
      const twin = clonedChildren[index];
      if (!twin) return;
      if (child.tagName !== "HEAD" && !["SCRIPT", "STYLE", "TITLE", "META", "LINK"].includes(child.tagName) && hidden(child)) twin.remove();
      else {
        // Its own words unseen (size 0, its background's colour): drop them, keep its children.
        if (child.tagName !== "HEAD" && unseen.mutedText(child, getComputedStyle(child))) {
          Array.from(twin.childNodes).filter((node) => node.nodeType === 3).forEach((node) => node.remove());
        }
        prune(child, twin);
      }
    });
  };
  if (document.body) prune(root, copy);
  return JSON.stringify({ url: location.href, title: document.title, contentType: document.contentType, html: "<!doctype html>" + copy.outerHTML });
})()
