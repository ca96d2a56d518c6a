/**
 * What an upstream's `base_url` (a provider's, a route deployment's) must not carry beyond an
 * origin and a path prefix, or undefined. Tollgate appends the API path (`/v1/...`) to the text
 * as written, so a query or a fragment would come before it and send every request to the wrong
 * path; credentials belong in `api_key` or `headers`. Undefined too for text that is no URL:
 * the URL check says that.
 */
export function baseUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const wrongPath = 'Tollgate appends the API path (/v1/...) to base_url as written, so every request would go to the wrong path';
  if (url.username !== '' || url.password !== '') {
    const shown = `${url.username}${url.password !== '' ? ':…' : ''}@`;
    return `must not carry a user name or password ("${shown}"): give the upstream's key as api_key, or its credentials as an Authorization header under headers`;
  }
  const q = text.indexOf('?');
  const hash = text.indexOf('#');
  if (q >= 0 && (hash < 0 || q < hash)) {
    const query = text.slice(q, hash < 0 ? undefined : hash);
    const azure = new URLSearchParams(query).has('api-version')
      ? `. For Azure OpenAI use its v1 API, which takes no api-version: base_url https://NAME.openai.azure.com/openai (Tollgate adds /v1/...)`
      : '';
    return `must not have a query string ("${query}"): ${wrongPath}${azure}. A client's own query parameters are passed upstream as it sends them; fixed headers go under headers`;
  }
  if (hash >= 0) return `must not have a fragment ("${text.slice(hash)}"): a fragment is never sent to a server, and ${wrongPath}`;
  return undefined;
}

/** `baseUrlProblem` as a zod refinement of a base_url setting. */
export function refuseBaseUrlExtras(text: string, ctx: { addIssue(issue: { code: 'custom'; message: string }): void }): void {
  const problem = baseUrlProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}
