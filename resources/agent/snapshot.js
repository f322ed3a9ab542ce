// Page snapshot for the agent: what a user sees, as a flat list of nodes in document order.
// Interactive elements get ids kept in a WeakMap on this document, so an element keeps its id
// for as long as it lives and an id is never handed to another element. `__CLEF_FIRST_ID__`
// is the first id this document may use (the embedder keeps ids unique across documents).
(() => {
  const key = Symbol.for("clef.snapshot.ids");
  const state = window[key] || (window[key] = { ids: new WeakMap(), elements: new Map(), next: __CLEF_FIRST_ID__ });
  const idOf = (element) => {
    let id = state.ids.get(element);
    if (id === undefined) {
      id = state.next++;
      state.ids.set(element, id);
    }
    // The reverse map lets actions find the element; dead entries are dropped on each snapshot.
    state.elements.set(id, element);
    return id;
  };
  for (const [id, element] of state.elements) if (!element.isConnected) state.elements.delete(id);
  const nodes = [];
  const collapse = (text) => (text || "").replace(/\s+/g, " ").trim();
  const viewport = { width: window.innerWidth, height: window.innerHeight };

  /*__CLEF_UNSEEN__*/
  const hiddenByStyle = (element, style) => unseen.gone(element, style);

  const textOfIds = (root, ids) =>
    collapse(ids.split(/\s+/).map((id) => {
      const target = root.getElementById ? root.getElementById(id) : document.getElementById(id);
      return target ? target.textContent : "";
    }).join(" "));

  const contentName = (element) => {
    let out = "";
    for (const child of element.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) out += child.textContent;
      else if (child.nodeType === Node.ELEMENT_NODE) {
        if (child.tagName === "IMG") out += " " + (child.getAttribute("alt") || "") + " ";
        else if (child.getAttribute("aria-hidden") !== "true") out += " " + (child.getAttribute("aria-label") || contentName(child)) + " ";
      }
    }
    return collapse(out);
  };

  const labelsOf = (element) => {
    if (element.labels && element.labels.length) {
      return collapse(Array.from(element.labels).map((label) => label.textContent).join(" "));
    }
    const root = element.getRootNode();
    if (element.id && root.querySelectorAll) {
      const label = root.querySelector('label[for="' + CSS.escape(element.id) + '"]');
      if (label) return collapse(label.textContent);
    }
    const wrapping = element.closest("label");
    return wrapping ? collapse(wrapping.textContent) : "";
  };

  // Accessible name, in the order of the accname rules.
  const accessibleName = (element, role) => {
    const root = element.getRootNode();
    const labelledby = element.getAttribute("aria-labelledby");
    if (labelledby) {
      const name = textOfIds(root, labelledby);
      if (name) return name;
    }
    const label = collapse(element.getAttribute("aria-label"));
    if (label) return label;
    const tag = element.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") {
      const type = (element.getAttribute("type") || "").toLowerCase();
      if (tag === "INPUT" && ["submit", "button", "reset"].includes(type)) {
        return collapse(element.value) || (type === "reset" ? "Reset" : type === "submit" ? "Submit" : "");
      }
      if (tag === "INPUT" && type === "image") return collapse(element.getAttribute("alt")) || "Submit";
      const labels = labelsOf(element);
      if (labels) return labels;
      const title = collapse(element.getAttribute("title"));
      if (title) return title;
      return collapse(element.getAttribute("placeholder"));
    }
    if (tag === "IMG") return collapse(element.getAttribute("alt")) || collapse(element.getAttribute("title"));
    if (["button", "link", "heading", "checkbox", "radio", "tab", "menuitem", "option", "switch", "cell", "clickable"].includes(role) || tag === "SUMMARY") {
      const content = contentName(element);
      if (content) return content;
    }
    return collapse(element.getAttribute("title")) || collapse(element.getAttribute("placeholder"));
  };

  const roleOf = (element) => {
    const explicit = (element.getAttribute("role") || "").trim().split(/\s+/)[0];
    if (explicit && explicit !== "presentation" && explicit !== "none") return explicit;
    const tag = element.tagName;
    const type = (element.getAttribute("type") || "text").toLowerCase();
    switch (tag) {
      case "A": return element.hasAttribute("href") ? "link" : null;
      case "BUTTON": return "button";
      case "SUMMARY": return "button";
      case "SELECT": return element.multiple || element.size > 1 ? "listbox" : "combobox";
      case "TEXTAREA": return "textbox";
      case "IMG": return "img";
      case "INPUT":
        if (type === "hidden") return null;
        if (["submit", "button", "reset", "image"].includes(type)) return "button";
        if (type === "checkbox") return "checkbox";
        if (type === "radio") return "radio";
        if (type === "search") return "searchbox";
        if (type === "number") return "spinbutton";
        if (type === "range") return "slider";
        return "textbox";
    }
    if (/^H[1-6]$/.test(tag)) return "heading";
    if (element.isContentEditable && !(element.parentElement && element.parentElement.isContentEditable)) return "textbox";
    return null;
  };

  // Elements made interactive by script: click listeners (noted by page_start.js), an onclick
  // handler, a pointer cursor its parent does not have, a tab stop.
  const listened = window[Symbol.for("clef.listeners")];
  const scriptClickable = (element, style) => {
    if (element === document.body || element === document.documentElement) return false;
    if (listened && listened.has(element)) return true;
    if (element.hasAttribute("onclick") || typeof element.onclick === "function") return true;
    if (element.tabIndex >= 0 && element.hasAttribute("tabindex")) return true;
    if (style.cursor === "pointer") {
      const parent = element.parentElement;
      return !parent || getComputedStyle(parent).cursor !== "pointer";
    }
    return false;
  };

  const hasInteractiveInside = (element) => {
    if (element.querySelector("a, button, input, select, textarea, [onclick], [tabindex], [role]")) return true;
    const inside = element.getElementsByTagName("*");
    if (inside.length > 60) return true;
    return !!listened && Array.prototype.some.call(inside, (child) => listened.has(child));
  };

  // A clickable block all of whose words belong to controls inside it ("Reply Forward" around
  // a Reply and a Forward button) is only their wrapper: the controls are what a person clicks.
  const controlTags = new Set(["A", "BUTTON", "INPUT", "SELECT", "TEXTAREA"]);
  const isControl = (element) => controlTags.has(element.tagName) || element.hasAttribute("onclick")
    || element.hasAttribute("role") || (!!listened && listened.has(element));
  const onlyWraps = (element) => {
    let controls = 0;
    let words = "";
    const visit = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) words += child.textContent;
        else if (child.nodeType === Node.ELEMENT_NODE) {
          if (isControl(child)) controls++;
          else visit(child);
        }
      }
    };
    visit(element);
    return controls > 0 && !collapse(words);
  };

  // The words just before a field with no label, among its own siblings: what a person reads
  // as its label. Only short words count; a paragraph before a field is not its name.
  const nearbyText = (element) => {
    let sibling = element.previousSibling;
    while (sibling) {
      const text = collapse(sibling.textContent);
      if (text) return text.length <= 40 ? text : "";
      sibling = sibling.previousSibling;
    }
    return "";
  };

  // For an element with no name (an icon): the text of the nearest enclosing element that has
  // some, so "the star of Deva's email" can be told from the other stars.
  const contextText = (element, own) => {
    let ancestor = element.parentElement;
    for (let level = 0; ancestor && level < 4; level++, ancestor = ancestor.parentElement) {
      const text = collapse(ancestor.innerText || ancestor.textContent);
      // Long: what tells look-alikes apart may come late (act::observe::tell_apart cuts it).
      if (text && text !== own) return text.length <= 240 ? text : text.slice(0, 240) + "…";
    }
    return "";
  };
  const named = [];

  // For an element with no name: the file name of the picture it shows (a CSS `content` or
  // background image, an `<img>` without alt text, an SVG sprite's `<use>`), which is how
  // icon-only controls are told apart ("send.png", "#icon-trash").
  const iconName = (element, style) => {
    const stem = (address) => {
      if (/^\s*data:/i.test(String(address || ""))) return "";
      const path = String(address || "").split(/[?#]/)[0];
      const file = path.split("/").pop() || "";
      return file.replace(/\.[a-z0-9]+$/i, "").replace(/[-_]+/g, " ").trim();
    };
    for (const image of [style.content, style.backgroundImage]) {
      const found = /url\(\s*["']?([^"')]+)["']?\s*\)/.exec(image || "");
      if (found) return stem(found[1]);
    }
    const img = element.querySelector("img[src]");
    if (img) return stem(img.getAttribute("src"));
    const use = element.querySelector("use");
    const sprite = use && (use.getAttribute("href") || use.getAttribute("xlink:href"));
    if (sprite && sprite.includes("#")) return sprite.split("#").pop().replace(/[-_]+/g, " ").trim();
    return "";
  };

  const interactiveRoles = new Set(["clickable", "link", "button", "combobox", "listbox", "textbox", "searchbox", "spinbutton", "slider",
    "checkbox", "radio", "switch", "tab", "menuitem", "option"]);

  const boxOf = (element, offset) => {
    const rect = element.getBoundingClientRect();
    return [Math.round(rect.left + offset.x), Math.round(rect.top + offset.y), Math.round(rect.width), Math.round(rect.height)];
  };

  const inViewport = (box) => box[0] < viewport.width && box[1] < viewport.height && box[0] + box[2] > 0 && box[1] + box[3] > 0;

  const pushText = (text, element, offset, depth) => {
    const value = collapse(text);
    if (!value) return;
    const last = nodes[nodes.length - 1];
    // Runs of inline text in one block become one line.
    if (last && last.kind === "text" && last.block === element) {
      last.text += " " + value;
      return;
    }
    const box = boxOf(element, offset);
    nodes.push({ kind: "text", text: value, block: element, box, visible: inViewport(box), depth });
  };

  const blockOf = (element) => {
    let current = element;
    while (current && current.parentElement) {
      const display = getComputedStyle(current).display;
      if (display !== "inline" && display !== "contents") return current;
      current = current.parentElement;
    }
    return current;
  };

  const walk = (element, offset, depth) => {
    const style = getComputedStyle(element);
    if (hiddenByStyle(element, style)) return;
    const tag = element.tagName;
    if (["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "HEAD", "META", "LINK"].includes(tag)) return;
    const invisible = style.visibility === "hidden" || style.visibility === "collapse";
    const box = boxOf(element, offset);
    const zeroSize = (box[2] === 0 || box[3] === 0) && (style.overflow === "hidden" || element.childElementCount === 0);
    let role = roleOf(element);
    if (!role && !invisible && !zeroSize && scriptClickable(element, style) && !onlyWraps(element)) role = "clickable";
    if (!invisible && !zeroSize && role) {
      const entry = { kind: role, role, name: accessibleName(element, role), box, visible: inViewport(box), depth };
      if (role === "heading") {
        const level = /^H([1-6])$/.exec(tag);
        entry.level = level ? Number(level[1]) : Number(element.getAttribute("aria-level") || 2);
        entry.name = collapse(element.textContent) || entry.name;
      }
      if (interactiveRoles.has(role)) entry.id = idOf(element);
      if (role === "link") entry.href = element.href || element.getAttribute("href");
      if (role === "clickable") {
        if (entry.name.length > 80) entry.name = entry.name.slice(0, 80) + "…";
        if (!entry.name && typeof element.className === "string" && element.className.trim()) {
          entry.class_hint = element.className.trim().split(/\s+/).slice(0, 3).join(" ");
        }
        if (!entry.name && element.id) entry.id_hint = element.id;
        if (!entry.name) {
          const icon = iconName(element, style);
          if (icon) entry.icon = icon.slice(0, 40);
          const context = contextText(element);
          if (context) entry.context = context;
        }
      }
      if (entry.name && entry.id !== undefined) named.push([entry, element]);
      if (element.closest && element.closest('[role="dialog"], [aria-modal="true"], dialog')) entry.in_dialog = true;
      if ((tag === "BUTTON" || tag === "INPUT") && element.form) {
        entry.submits = (element.type || "").toLowerCase() === "submit" || (tag === "BUTTON" && !element.getAttribute("type"));
        // A submit button's own formaction overrides its form's action.
        const sends = element.formAction || element.form.action;
        if (sends) entry.form_action = sends;
      }
      if (tag === "INPUT" || tag === "TEXTAREA") {
        entry.type = tag === "TEXTAREA" ? "textarea" : (element.getAttribute("type") || "text").toLowerCase();
        if (entry.type === "checkbox" || entry.type === "radio") entry.checked = element.checked;
        else if (entry.type !== "password") entry.value = element.value;
        else entry.value = element.value ? "•".repeat(Math.min(element.value.length, 8)) : "";
        if (element.placeholder && element.placeholder !== entry.name) entry.placeholder = element.placeholder;
        if (element.getAttribute("autocomplete")) entry.autocomplete = element.getAttribute("autocomplete");
        if (element.name) entry.field_name = element.name;
        if (element.id) entry.field_id = element.id;
        if (element.form && element.form.action) entry.form_action = element.form.action;
        if (!entry.name && !element.placeholder) {
          const nearby = nearbyText(element);
          if (nearby) entry.nearby = nearby;
        }
      }
      if (element.getAttribute("aria-checked")) entry.checked = element.getAttribute("aria-checked") === "true";
      // States a screen reader announces: whether a section is open, which tab is chosen.
      const expanded = element.getAttribute("aria-expanded");
      if (expanded === "true" || expanded === "false") entry.expanded = expanded === "true";
      else if (tag === "SUMMARY" && element.parentElement && element.parentElement.tagName === "DETAILS") entry.expanded = element.parentElement.open;
      if (element.getAttribute("aria-selected") === "true") entry.selected = true;
      if (element.getAttribute("aria-pressed") === "true") entry.pressed = true;
      const current = element.getAttribute("aria-current");
      if (current && current !== "false") entry.current = true;
      if (tag === "SELECT") {
        entry.options = Array.from(element.options).map((option) => collapse(option.label || option.textContent));
        entry.value = element.selectedIndex >= 0 ? collapse(element.options[element.selectedIndex].textContent) : "";
      }
      if (element.required || element.getAttribute("aria-required") === "true") entry.required = true;
      if (element.disabled || element.getAttribute("aria-disabled") === "true") entry.disabled = true;
      if (role === "img" && !entry.name) return;
      nodes.push(entry);
      // The name already carries the text of buttons, links, headings and options.
      if (["link", "button", "heading", "option", "combobox", "listbox", "textbox", "img", "checkbox", "radio", "tab", "menuitem"].includes(role)) return;
      // A clickable block whose whole text is its name needs no second copy of it.
      if (role === "clickable" && entry.name.length <= 80 && !hasInteractiveInside(element)) return;
    }
    if (tag === "TABLE" && !invisible) {
      nodes.push({ kind: "table", box, visible: inViewport(box), depth });
    }
    if (tag === "IFRAME") {
      try {
        const inner = element.contentDocument;
        if (inner && inner.body) {
          const frameOffset = { x: box[0], y: box[1] };
          walk(inner.body, frameOffset, depth + 1);
        }
      } catch (error) {
        // Cross-origin frame: the page cannot read it, nor can we.
      }
      return;
    }
    // Open shadow roots render instead of the light children; slots render what is assigned to them.
    const assigned = tag === "SLOT" && element.assignedNodes ? element.assignedNodes() : [];
    const children = element.shadowRoot ? element.shadowRoot.childNodes : assigned.length ? assigned : element.childNodes;
    // A label's words are already its control's name.
    const labelling = tag === "LABEL" && element.control;
    const muted = unseen.mutedText(element, style);
    for (const child of children) {
      if (child.nodeType === Node.TEXT_NODE) {
        if (!invisible && !zeroSize && !labelling && !muted) {
          const parent = child.parentElement || element;
          if (tag === "TD" || tag === "TH") pushText(child.textContent, parent, offset, depth);
          else pushText(child.textContent, blockOf(parent), offset, depth);
        }
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        walk(child, offset, depth + 1);
      }
    }
    if (tag === "TD" || tag === "TH") {
      const last = nodes[nodes.length - 1];
      if (last && last.kind === "text") last.cell = true;
    }
    if (tag === "TR") nodes.push({ kind: "row-end", depth });
  };

  if (document.body) walk(document.body, { x: 0, y: 0 }, 0);
  // Controls of the same name ("Reply" under each post): the text around each tells them apart.
  const byName = new Map();
  for (const [entry, element] of named) {
    const key = entry.kind + "\u0000" + entry.name;
    if (!byName.has(key)) byName.set(key, []);
    byName.get(key).push([entry, element]);
  }
  for (const group of byName.values()) {
    if (group.length < 2 || group.length > 50) continue;
    for (const [entry, element] of group) {
      const context = contextText(element, entry.name);
      if (context) entry.context = context;
    }
  }
  for (const node of nodes) delete node.block;
  return JSON.stringify({
    url: location.href,
    title: document.title,
    viewport: [viewport.width, viewport.height],
    scroll: [Math.round(window.scrollX), Math.round(window.scrollY)],
    nextId: state.next,
    nodes,
  });
})()
