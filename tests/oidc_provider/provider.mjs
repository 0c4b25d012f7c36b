// A real OpenID provider (the certified `oidc-provider`) on loopback, for Lernwerk's
// single sign-on tests and its demo. Not for production: it signs in whoever types a
// known account (any password) and keeps everything in memory.
//
//   node tests/oidc_provider/provider.mjs --config tests/oidc_provider/demo.json [--port 5190]
//
// The configuration (a JSON file given with --config, or the JSON text in the
// environment variable OIDC_PROVIDER_CONFIG) holds:
//   { "port": 5190, "issuer": "http://127.0.0.1:5190",           (issuer: optional)
//     "clients": [{ "client_id": "...", "client_secret": "...",
//                   "redirect_uris": ["http://.../sso/callback"],
//                   "post_logout_redirect_uris": ["http://.../login"] }],
//     "accounts": [{ "sub": "jonas", "email": "jonas@example.com",
//                    "email_verified": true, "name": "Jonas Becker",
//                    "groups": ["Lager"] }] }
// At the sign-in form type an account's `sub` or e-mail address, and any password.
// It prints "ready <issuer>" once it answers.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    config: { type: 'string' },
    port: { type: 'string' },
    issuer: { type: 'string' },
  },
});

const text = args.config ? readFileSync(args.config, 'utf8') : process.env.OIDC_PROVIDER_CONFIG;
if (!text) {
  console.error('Give the configuration: --config file.json or OIDC_PROVIDER_CONFIG.');
  process.exit(2);
}
const settings = JSON.parse(text);
const port = Number(args.port ?? settings.port ?? 5190);
const issuer = args.issuer ?? settings.issuer ?? `http://127.0.0.1:${port}`;
const accounts = settings.accounts ?? [];

function accountFor(id) {
  const wanted = String(id).trim().toLowerCase();
  return accounts.find((a) => a.sub === id || String(a.email).toLowerCase() === wanted);
}

// A fresh signing key each start: Lernwerk reads it from the JWKS.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: (settings.clients ?? []).map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...client,
  })),
  jwks: { keys: [signingKey] },
  // The profile scope carries the groups, as an Entra ID or Keycloak app would.
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'groups'],
  },
  // Put the person's claims into the ID token (as Entra ID, Google and Keycloak do),
  // not only into the userinfo answer.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false }, // our own sign-in form below
    rpInitiatedLogout: { enabled: true },
  },
  interactions: {
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  pkce: { required: () => true },
  cookies: { keys: [randomUUID()] },
  async findAccount(ctx, id) {
    const account = accountFor(id);
    if (!account) return undefined;
    return {
      accountId: account.sub,
      async claims() {
        return {
          sub: account.sub,
          email: account.email,
          email_verified: account.email_verified ?? true,
          name: account.name ?? account.email,
          // No `groups` key: no claim (as Entra ID's overage or an app without groups).
          groups: account.groups,
        };
      },
    };
  },
  // A first-party app: no consent page (the recipe of oidc-provider's documentation).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

// The sign-in form: the account's sub or e-mail address (prefilled from login_hint)
// and any password. Plain HTML, no script.
const escape = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function signInPage(uid, login, problem) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Test provider: sign in</title></head><body>
<main><h1>Test provider: sign in</h1>
${problem ? `<p role="alert">${escape(problem)}</p>` : ''}
<form action="/interaction/${escape(uid)}" method="post">
<p><label for="login">Account or e-mail address</label><br>
<input id="login" name="login" value="${escape(login)}" required></p>
<p><label for="password">Password (any)</label><br>
<input id="password" name="password" type="password"></p>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>`;
}

async function formOf(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match) return next();
  ctx.set('Cache-Control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.prompt.name !== 'login') {
    ctx.throw(501, `prompt ${details.prompt.name} is not offered by the test provider`);
  }
  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = signInPage(details.uid, details.params.login_hint ?? '');
    return undefined;
  }
  if (ctx.method !== 'POST') ctx.throw(405);
  const login = (await formOf(ctx.req)).get('login') ?? '';
  const account = accountFor(login);
  if (!account) {
    ctx.status = 401;
    ctx.type = 'html';
    ctx.body = signInPage(details.uid, login, 'This account is not known here.');
    return undefined;
  }
  const returnTo = await provider.interactionResult(
    ctx.req, ctx.res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false },
  );
  ctx.status = 303;
  ctx.redirect(returnTo);
  return undefined;
});

// What went wrong inside the provider, for the test's log (no tokens are printed).
for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error']) {
  provider.on(event, (ctx, error) => {
    console.error(`${event}: ${error.name}: ${error.message} ${error.error_detail ?? ''}`);
  });
}

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
