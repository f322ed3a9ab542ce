  // What a person cannot see, inserted into the page scripts that read the page (snapshot.js,
  // visible_html.js) in place of their __CLEF_UNSEEN__ line. Hidden text is where pages put
  // instructions for machines: none of it may reach the model.
  const unseen = (() => {
    const docWidth = () => Math.max(document.documentElement.scrollWidth, innerWidth);
    const rgba = (text) => {
      const parts = /rgba?\(([^)]*)\)/.exec(text || "");
      if (!parts) return null;
      const values = parts[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return values.length >= 3 ? [values[0], values[1], values[2], values.length > 3 ? values[3] : 1] : null;
    };
    const backgrounds = new Map();
    // The colour painted behind an element: the first ancestor with an opaque background.
    const backgroundOf = (element) => {
      if (!element || element.nodeType !== 1) return [255, 255, 255, 1];
      if (backgrounds.has(element)) return backgrounds.get(element);
      const colour = rgba(getComputedStyle(element).backgroundColor);
      const image = getComputedStyle(element).backgroundImage;
      const result = image && image !== "none" ? null
        : colour && colour[3] > 0.9 ? colour : backgroundOf(element.parentElement);
      backgrounds.set(element, result);
      return result;
    };
    const ownText = (element) => Array.from(element.childNodes)
      .some((child) => child.nodeType === 3 && child.textContent.trim());
    // The element and everything in it cannot be seen.
    const gone = (element, style) => {
      if (element.hidden || element.getAttribute("aria-hidden") === "true") return true;
      if (style.display === "none") return true;
      if (parseFloat(style.opacity) === 0) return true;
      // Clipped to nothing, or a 1-pixel box that hides what overflows it.
      if (/rect\(\s*0(px)?[ ,]+0(px)?[ ,]+0(px)?[ ,]+0(px)?\s*\)/.test(style.clip || "") && style.position === "absolute") return true;
      if (/^(inset\((50|100)%|circle\(0)/.test(style.clipPath || "")) return true;
      const box = element.getBoundingClientRect();
      if (style.overflow !== "visible" && box.width <= 1 && box.height <= 1 && element.childNodes.length) return true;
      // Moved off the page (left: -9999px, a huge negative text-indent).
      // (Strictly beyond the edge: an empty body ends at 0 and is not moved anywhere.)
      if (element !== document.body && (box.width || box.height)) {
        if (box.right + scrollX < 0 || box.bottom + scrollY < 0 || box.left + scrollX >= docWidth()) return true;
      }
      return false;
    };
    // The element's own text cannot be seen (its children may set their own size and colour):
    // font-size 0, pushed off by text-indent, transparent, or the colour of what is behind it.
    const mutedText = (element, style) => {
      if (!ownText(element)) return false;
      if (parseFloat(style.fontSize) === 0 || parseFloat(style.textIndent) <= -999) return true;
      const ink = rgba(style.color);
      if (!ink) return false;
      if (ink[3] === 0) return true;
      const paper = backgroundOf(element);
      return !!paper && Math.abs(ink[0] - paper[0]) + Math.abs(ink[1] - paper[1]) + Math.abs(ink[2] - paper[2]) < 24;
    };
    return { gone, mutedText };
  })();
