// A real OpenID Connect provider for the tests, standing in for a national digital-ID service
// (Nafath, Kuwait Mobile ID, ...). It runs on loopback only, with the signing key, clients and
// people the test gives it in the file named by PROVIDER_CONFIG:
//   { "issuer": "http://127.0.0.1:PORT", "port": PORT, "jwk": {private RSA JWK with kid},
//     "clients": [{client_id, client_secret, redirect_uris}],
//     "people": {"<sub>": {"national_id", "name", "birthdate"}} }
// The sign-in page lists the people; choosing one approves the request for them.
// POST /__test__/tamper {"mode": "forged" | "wrong_audience" | "expired"} makes the next
// token answer carry a doctored ID token: signed with another key, addressed to another
// client, or expired an hour ago. The tests use it to check that the site refuses each.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';
import { SignJWT, importJWK, generateKeyPair, decodeJwt, decodeProtectedHeader } from 'jose';

const config = JSON.parse(readFileSync(process.env.PROVIDER_CONFIG, 'utf8'));
const people = config.people;

const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({
    ...client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  })),
  jwks: { keys: [config.jwk] },
  cookies: { keys: ['test-provider-cookie-key'] },
  pkce: { required: () => true },
  conformIdTokenClaims: false,
  scopes: ['openid', 'profile', 'national_id'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'birthdate'],
    national_id: ['national_id'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { AuthorizationCode: 60, IdToken: 3600, AccessToken: 3600, Interaction: 600, Session: 600, Grant: 600 },
  async findAccount(ctx, sub) {
    const person = people[sub];
    if (!person) return undefined;
    return { accountId: sub, async claims() { return { sub, ...person }; } };
  },
});
provider.proxy = false;

let tamper = null;
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function doctor(idToken) {
  const claims = decodeJwt(idToken);
  const header = decodeProtectedHeader(idToken);
  const now = Math.floor(Date.now() / 1000);
  let key = await importJWK(config.jwk, 'RS256');
  if (tamper === 'forged') key = (await generateKeyPair('RS256')).privateKey;
  if (tamper === 'wrong_audience') claims.aud = 'another-service';
  if (tamper === 'expired') { claims.iat = now - 7200; claims.exp = now - 3600; }
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid, typ: header.typ }).sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test__/tamper' && ctx.method === 'POST') {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    tamper = JSON.parse(Buffer.concat(chunks).toString() || '{}').mode || null;
    ctx.body = { tamper };
    return;
  }
  const match = ctx.path.match(/^\/interaction\/([\w-]+)$/);
  if (match) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === 'GET') {
      const choices = Object.entries(people).map(([sub, person]) =>
        `<label><input type="radio" name="sub" value="${escape(sub)}" required> ${escape(person.name)} (${escape(person.national_id)})</label><br>`).join('\n');
      ctx.type = 'html';
      ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>National digital ID (test)</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body style="font-family:sans-serif;max-width:32rem;margin:2rem auto">
<h1>National digital ID · الهوية الرقمية</h1><p>Test provider: choose the person signing in.</p>
<form method="post" action="/interaction/${details.uid}">${choices}<p><button type="submit" name="action" value="approve">Approve · موافقة</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel · إلغاء</button></p></form></body></html>`;
      return;
    }
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    const form = new URLSearchParams(Buffer.concat(chunks).toString());
    if (form.get('action') === 'cancel' || !people[form.get('sub')]) {
      await provider.interactionFinished(ctx.req, ctx.res, { error: 'access_denied', error_description: 'The person cancelled the sign-in.' }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new provider.Grant({ accountId: form.get('sub'), clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: form.get('sub') }, consent: { grantId } }, { mergeWithLastSubmission: false });
    return;
  }
  await next();
  if (ctx.path === '/token' && tamper && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await doctor(ctx.body.id_token) };
    tamper = null;
  }
});

provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening ${config.issuer}\n`);
});
