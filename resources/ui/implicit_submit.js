// Enter in a form's field sends the form through its default button, as the HTML standard
// says. Servo 0.7 only looks for an <input type=submit> (so a form whose button is a <button>
// — most sign-in forms — ignores Enter when it has two fields); this does the standard's part
// it misses, after the page's own handlers have had their say.
(() => {
  if (window.__clefImplicitSubmit) return;
  window.__clefImplicitSubmit = true;
  const TEXT_TYPES = ["text", "search", "url", "tel", "email", "password", "date", "month", "week",
    "time", "datetime-local", "number"];
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.defaultPrevented || event.isComposing) return;
    const field = event.target;
    if (!field || field.tagName !== "INPUT" || !field.form) return;
    if (!TEXT_TYPES.includes((field.getAttribute("type") || "text").toLowerCase())) return;
    const form = field.form;
    // Servo handles forms whose first submit button is an <input type=submit> itself.
    const button = Array.from(form.elements).find((element) =>
      (element.tagName === "BUTTON" && (element.getAttribute("type") || "submit").toLowerCase() === "submit")
      || (element.tagName === "INPUT" && ["submit", "image"].includes((element.getAttribute("type") || "").toLowerCase())));
    if (!button || button.tagName !== "BUTTON") return;
    event.preventDefault();
    if (!button.disabled) button.click();
  });
})();
