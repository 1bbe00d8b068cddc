/**
 * Where function URLs are served. AWS names a URL by host, `<url-id>.lambda-url.<region>.on.aws`;
 * selfless hands out `<url-id>.lambda-url.<region>.localhost:<port>`, which browsers and curl resolve to
 * loopback by themselves, on the API's own port. Clients that cannot send such a host reach the same
 * URL at the path form `/lambda-url/<url-id>/…` of any host the server answers.
 */

/** Any host whose first labels are `<url-id>.lambda-url.` (so a DNS name of one's own pointing here works too). */
const URL_HOST = /^([a-z0-9]{32})\.lambda-url\.[A-Za-z0-9.-]+(?::\d{1,5})?$/;
const PATH_FORM = /^\/lambda-url\/([a-z0-9]{32})(?=\/|$)/;
export const PATH_FORM_PREFIX = '/lambda-url/';

/** The FunctionUrl of a URL id, on the port the client reached the API at (`origin` is `http://host[:port]`). */
export function functionUrlOf(urlId: string, region: string, origin: string): string {
  const port = /:(\d{1,5})$/.exec(origin)?.[1];
  return `http://${urlId}.lambda-url.${region}.localhost${port === undefined ? '' : `:${port}`}/`;
}

/** The URL a request is for, and the path the function sees; undefined for a request to the API. */
export function functionUrlTarget(host: string | undefined, rawTarget: string): { urlId: string; target: string } | undefined {
  const byHost = host === undefined ? null : URL_HOST.exec(host.toLowerCase());
  if (byHost !== null) return { urlId: byHost[1]!, target: rawTarget };
  if (!rawTarget.startsWith(PATH_FORM_PREFIX)) return undefined;
  const byPath = PATH_FORM.exec(rawTarget);
  if (byPath === null) return undefined;
  const rest = rawTarget.slice(byPath[0].length);
  return { urlId: byPath[1]!, target: rest.startsWith('/') ? rest : `/${rest}` };
}
