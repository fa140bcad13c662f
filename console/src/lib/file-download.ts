/*
 * Files the API serves to a signed-in console (reports, evidence packages): fetched with the
 * session's token, then handed to the browser as a download.
 */

/** "404 Not Found: Incident not found (NOT_FOUND)", from the API's GraphQL-shaped error body. */
export async function failureOf(response: Response): Promise<string> {
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  try {
    const body = (await response.json()) as {
      errors?: { message?: string; extensions?: { code?: string } }[];
    };
    const first = body.errors?.[0];
    if (first?.message) {
      const code = first.extensions?.code;
      return `${status}: ${first.message}${code ? ` (${code})` : ''}`;
    }
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  return status;
}

/** The file name the API suggests in Content-Disposition, else `fallback`. */
export function suggestedFileName(response: Response, fallback: string): string {
  const disposition = response.headers.get('content-disposition') ?? '';
  return /filename="?([^";]+)"?/i.exec(disposition)?.[1] ?? fallback;
}

/** Hands the response's body to the browser as a file called `name`. */
export async function saveAsFile(response: Response, name: string): Promise<void> {
  const url = URL.createObjectURL(await response.blob());
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.style.display = 'none';
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // The click has handed the blob to the download; give the browser a moment to start it.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
