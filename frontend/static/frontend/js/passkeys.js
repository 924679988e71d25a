// Passkey ceremonies: ask the server for options, let the browser's authenticator answer,
// send the answer back. The server made the challenge and checks everything.
const toBytes = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
};
const toText = (buffer) => {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
const csrf = () => document.querySelector("input[name=csrfmiddlewaretoken]").value;
const post = (url, body) =>
  fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrf(), "Content-Type": "application/json" },
    body: body === undefined ? "{}" : JSON.stringify(body),
  });

async function answer(response) {
  const data = await response.json();
  if (!response.ok) throw new Error(data.error ? data.error.message : response.statusText);
  return data;
}

async function register(button) {
  const options = await answer(await post(button.dataset.options));
  options.challenge = toBytes(options.challenge);
  options.user.id = toBytes(options.user.id);
  options.excludeCredentials = (options.excludeCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
  const credential = await navigator.credentials.create({ publicKey: options });
  const name = document.getElementById("passkey-name");
  const url = `${button.dataset.finish}&name=${encodeURIComponent(name ? name.value : "")}`;
  return answer(
    await post(url, {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toText(credential.response.clientDataJSON),
        attestationObject: toText(credential.response.attestationObject),
        transports: credential.response.getTransports ? credential.response.getTransports() : [],
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    }),
  );
}

async function authenticate(button) {
  const options = await answer(await post(button.dataset.options));
  options.challenge = toBytes(options.challenge);
  options.allowCredentials = (options.allowCredentials || []).map((c) => ({ ...c, id: toBytes(c.id) }));
  const credential = await navigator.credentials.get({ publicKey: options });
  return answer(
    await post(button.dataset.finish, {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response: {
        clientDataJSON: toText(credential.response.clientDataJSON),
        authenticatorData: toText(credential.response.authenticatorData),
        signature: toText(credential.response.signature),
        userHandle: credential.response.userHandle ? toText(credential.response.userHandle) : null,
      },
      clientExtensionResults: credential.getClientExtensionResults(),
    }),
  );
}

for (const button of document.querySelectorAll("[data-passkey]")) {
  const status = document.getElementById(button.dataset.status);
  if (!window.PublicKeyCredential) {
    button.disabled = true;
    status.textContent = button.dataset.unsupported;
    continue;
  }
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "";
    try {
      const done = await (button.dataset.passkey === "register" ? register(button) : authenticate(button));
      window.location.assign(done.redirect);
    } catch (error) {
      status.textContent = error.name === "NotAllowedError" ? button.dataset.cancelled : error.message;
      button.disabled = false;
    }
  });
}
