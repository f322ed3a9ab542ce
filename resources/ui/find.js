// Find in page (Ctrl+F). One self-contained call per action, so nothing of Clef's stays in the
// page between calls but the <mark> elements it adds (removed again on close). The request is
// { action: "search", query, matchCase } | { action: "step", forward } | { action: "clear" };
// the answer { count, index } (index is 0-based, -1 when nothing matches).
(() => {
  const request = __CLEF_FIND__;
  const MARK = "data-clef-find";
  const CURRENT = "data-clef-current";
  const marks = () => Array.from(document.querySelectorAll("mark[" + MARK + "]"));
  const paint = (mark, current) => {
    mark.style.background = current ? "#ff9632" : "#ffe066";
    mark.style.color = "#000";
    if (current) mark.setAttribute(CURRENT, ""); else mark.removeAttribute(CURRENT);
  };
  const clear = () => {
    const parents = new Set();
    for (const mark of marks()) {
      const parent = mark.parentNode;
      if (!parent) continue;
      while (mark.firstChild) parent.insertBefore(mark.firstChild, mark);
      parent.removeChild(mark);
      parents.add(parent);
    }
    // Rejoin the text nodes the marks split, so the page's own scripts see them as before.
    for (const parent of parents) parent.normalize();
  };
  const show = (list, index) => {
    list.forEach((mark, at) => paint(mark, at === index));
    if (list[index]) list[index].scrollIntoView({ block: "center", inline: "nearest" });
    return { count: list.length, index: list.length ? index : -1 };
  };
  if (request.action === "clear") {
    clear();
    return { count: 0, index: -1 };
  }
  if (request.action === "step") {
    const list = marks();
    if (!list.length) return { count: 0, index: -1 };
    const current = list.findIndex((mark) => mark.hasAttribute(CURRENT));
    const step = request.forward ? 1 : -1;
    return show(list, (current + step + list.length) % list.length);
  }
  clear();
  const query = String(request.query || "");
  if (!query || !document.body) return { count: 0, index: -1 };
  // A regular expression for the literal text: its `i` flag folds case without changing where
  // matches start and end in the page's own text.
  const literal = query.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(literal, request.matchCase ? "gu" : "giu");
  const skip = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEXTAREA", "TEMPLATE", "SELECT", "OPTION"]);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      const parent = node.parentElement;
      if (!parent || skip.has(parent.tagName)) return NodeFilter.FILTER_REJECT;
      const style = getComputedStyle(parent);
      if (style.display === "none" || style.visibility === "hidden") return NodeFilter.FILTER_REJECT;
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  const found = [];
  for (const node of nodes) {
    const text = node.nodeValue;
    const spans = [];
    pattern.lastIndex = 0;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      if (match[0].length === 0) { pattern.lastIndex += 1; continue; }
      spans.push([match.index, match.index + match[0].length]);
    }
    // From the end, so earlier offsets stay valid as the node is split.
    let rest = node;
    const made = [];
    for (let at = spans.length - 1; at >= 0; at -= 1) {
      const [start, end] = spans[at];
      const after = rest.splitText(end);
      const middle = rest.splitText(start);
      const mark = document.createElement("mark");
      mark.setAttribute(MARK, "");
      middle.parentNode.insertBefore(mark, middle);
      mark.appendChild(middle);
      made.unshift(mark);
      void after;
    }
    found.push(...made);
  }
  return show(found, 0);
})()
