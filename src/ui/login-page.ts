import { escapeHtml, page, paragraph } from '../alerts/html-page.js';

/**
 * The sign-in form: the admin token, posted to /ui/login. `problem` says why the last try failed;
 * `view` is the query of the page asked for (a bookmarked or shared link to a team's view), opened after sign-in.
 */
export function renderLogin(problem?: string, view = ''): string {
  const back = view === '' ? '' : `<input type="hidden" name="view" value="${escapeHtml(view)}">`;
  const form = `<form method="post" action="/ui/login">${back}<label for="token">Admin token (TOLLGATE_ADMIN_TOKEN)</label><br>
<input id="token" name="token" type="password" autocomplete="current-password" required style="width:100%;box-sizing:border-box;font:inherit;padding:.4rem">
<button type="submit">Sign in</button></form>`;
  return page('Sign in', [problem ? `<p class="critical">${escapeHtml(problem)}</p>` : '', paragraph('Sign in with the gateway\u2019s admin token to see where the spend goes.'), form].filter(Boolean).join('\n'));
}

/** The page when the admin token is not set: the dashboard has nothing to sign in with. */
export function renderDisabled(): string {
  return page('The dashboard is off', paragraph('Start the gateway with TOLLGATE_ADMIN_TOKEN set: the dashboard signs in with the admin token.'));
}
