/** Hides credentials and query strings (signed URLs) in messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = u.search ? '?…' : '';
    return u.toString();
  } catch {
    return url;
  }
}
