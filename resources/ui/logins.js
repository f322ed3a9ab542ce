// The window's password manager, in each page of a profile's window (not private windows, not
// the agent's headless pages): when the user sends a form holding a filled password field,
// tell the window the user name and password so that it can offer to save them. The window
// files them under the tab's own origin, whatever this message says.
(() => {
  if (window.__clefLogins) return;
  window.__clefLogins = true;
  // Taken before any page script runs: a page that replaces console.log does not blind it.
  const log = console.log.bind(console);
  const TEXT_TYPES = ["text", "email", "tel", ""];

  const filledPasswords = (scope) =>
    Array.from(scope.querySelectorAll("input[type=password]")).filter((field) => field.value);

  // The user name: a field the page marks as one, else the nearest filled text field before
  // the first password field.
  const usernameFor = (scope, password) => {
    const marked = scope.querySelector("input[autocomplete~=username], input[autocomplete~=email]");
    if (marked && marked.value) return marked.value;
    const inputs = Array.from(scope.querySelectorAll("input"));
    for (let index = inputs.indexOf(password) - 1; index >= 0; index -= 1) {
      const input = inputs[index];
      if (TEXT_TYPES.includes((input.getAttribute("type") || "").toLowerCase()) && input.value) return input.value;
    }
    return "";
  };

  let lastSent = "";
  const report = (scope) => {
    const fields = filledPasswords(scope);
    if (!fields.length) return;
    // A sign-up or password change has several: the new password is the one to keep.
    const fresh = fields.find((field) => /new-password/.test(field.getAttribute("autocomplete") || ""))
      || (fields.length > 1 ? fields[fields.length - 1] : fields[0]);
    const username = usernameFor(scope, fields[0]);
    const sent = username + "\n" + fresh.value;
    if (sent === lastSent) return;
    lastSent = sent;
    // The others (a change form's current password) let the window know which login changes.
    const others = fields.filter((field) => field !== fresh).map((field) => field.value);
    log("clef-login:" + JSON.stringify({ origin: location.origin, username, password: fresh.value, others }));
  };

  document.addEventListener("submit", (event) => report(event.target), true);
  // Sign-ins sent by script: a button outside any form, or Enter in the password field.
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button, input[type=submit], input[type=button], [role=button]");
    if (button) report(button.form || document);
  }, true);
  // (In a form, Enter sends it and the submit event reports it.)
  document.addEventListener("keydown", (event) => {
    const field = event.target;
    if (event.key === "Enter" && field && field.type === "password" && !field.form) report(document);
  }, true);
})();
