// Links with a `download` attribute, in each page of the window: Servo 0.7 would navigate to
// them, so the window saves them instead. A blob: or data: link is read here (the window cannot
// fetch a page's blob) and handed over as a data: address, up to 64 MB.
(() => {
  if (window.__clefDownloads) return;
  window.__clefDownloads = true;
  const log = console.log.bind(console);
  const LIMIT = 64 << 20;
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[download]");
    if (!link || !link.href || event.defaultPrevented) return;
    const name = link.getAttribute("download") || "";
    const href = link.href;
    if (href.startsWith("blob:") || href.startsWith("data:")) {
      event.preventDefault();
      fetch(href).then((response) => response.blob()).then((blob) => {
        if (blob.size > LIMIT) throw new Error("larger than 64 MB");
        const reader = new FileReader();
        reader.onload = () => log("clef-download:" + JSON.stringify({ url: reader.result, name }));
        reader.readAsDataURL(blob);
      }).catch((error) => log("clef-download:" + JSON.stringify({ url: "", name, error: String(error) })));
      return;
    }
    if (href.startsWith("http:") || href.startsWith("https:")) {
      event.preventDefault();
      log("clef-download:" + JSON.stringify({ url: href, name }));
    }
  }, false);
})();
