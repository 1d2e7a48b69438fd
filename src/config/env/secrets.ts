/**
 * Secrets by value: every value of a variable or key whose name looks secret (`*_API_KEY`,
 * `*_TOKEN`, `password`, ...) is remembered when the configuration loads, and `scrub` replaces it
 * wherever it turns up later: in `loom config` (an MCP `args` entry that expanded `${BRAVE_API_KEY}`),
 * in an error message, in a log's start line. Credentials inside URLs are hidden by their shape.
 */
export const REDACTED = "***";

// Whole words at the end of a key: `api_key`, `github_token`, `client_secret`, `DB_PASSWORD`,
// `apiKey`; not `max_tokens`.
export const SECRET_KEY = /(?:^|[_.-])(?:api_?key|access_?key|secret_?key|private_?key|token|secret|password|passwd)$|(?:apiKey|Token|Secret|Password)$/i;
/** Query parameters that carry credentials: `?key=`, `api_key`, `access_token`, `sig`, ... */
const SECRET_PARAM = /^(?:key|sig|signature|auth|code)$|key|token|secret|password|passwd|credential/i;
/** Shorter values are too likely to be ordinary words to replace everywhere. */
const MIN_SECRET_LENGTH = 4;

const known = new Set<string>();

export function rememberSecret(value: unknown): void {
  if (typeof value === "string" && value.length >= MIN_SECRET_LENGTH) known.add(value);
}

/** Remembers the values of `env` whose names look secret. */
export function rememberSecretsOf(env: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(env)) if (SECRET_KEY.test(name)) rememberSecret(value);
}

/** `scheme://user:password@host` and `?token=...`: the credentials become ***. */
export function redactUrls(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+)(:[^\s/@]*)?@/gi, (_, scheme: string, user: string, pass?: string) => `${scheme}${pass ? `${user}:${REDACTED}` : REDACTED}@`)
    .replace(/([?&])([^=&#\s]+)=([^&#\s]*)/g, (whole, sep: string, name: string, value: string) => (SECRET_PARAM.test(name) && value ? `${sep}${name}=${REDACTED}` : whole));
}

/** `text` with every remembered secret and every URL credential replaced by ***. */
export function scrub(text: string): string {
  let out = text;
  // Longest first, so a secret containing another is replaced whole.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return redactUrls(out);
}
