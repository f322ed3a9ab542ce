// The page's HTML without what a user cannot see (display:none, visibility:hidden, aria-hidden,
// hidden, clipped to nothing), for the reader. Works on a clone walked beside the live tree,
// so the page itself is never modified.
(() => {
  const hidden = (element) => {
    if (element.hidden || element.getAttribute("aria-hidden") === "true") return true;
    const style = getComputedStyle(element);
    if (style.display === "none" || style.visibility === "hidden" || style.visibility === "collapse") return true;
    if ((style.clipPath || "").startsWith("inset(50%")) return true;
    return style.position === "absolute" && /rect\(\s*0(px)?[ ,]+0(px)?[ ,]+0(px)?[ ,]+0(px)?\s*\)/.test(style.clip || "");
  };
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
      else prune(child, twin);
    });
  };
  if (document.body) prune(root, copy);
  return JSON.stringify({ url: location.href, title: document.title, contentType: document.contentType, html: "<!doctype html>" + copy.outerHTML });
})()
