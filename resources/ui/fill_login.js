// Fill a saved login into the page (the user asked: Ctrl+Shift+L or the key in the address
// bar). The window replaces __CLEF_LOGIN__ with {username, password} for the page's origin.
(() => {
  const login = __CLEF_LOGIN__;
  const shown = (element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== "hidden";
  };
  const password = Array.from(document.querySelectorAll("input[type=password]")).find(shown);
  if (!password) return { filled: false, why: "this page has no password field" };
  const scope = password.form || document;
  let user = Array.from(scope.querySelectorAll("input[autocomplete~=username], input[autocomplete~=email]")).find(shown);
  if (!user) {
    const inputs = Array.from(scope.querySelectorAll("input"));
    for (let index = inputs.indexOf(password) - 1; index >= 0 && !user; index -= 1) {
      const type = (inputs[index].getAttribute("type") || "").toLowerCase();
      if (["text", "email", "tel", ""].includes(type) && shown(inputs[index])) user = inputs[index];
    }
  }
  // As typing would: scripts listening for input and change see the values.
  const set = (input, value) => {
    input.focus();
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };
  if (user && login.username) set(user, login.username);
  set(password, login.password);
  return { filled: true };
})()
