import { inflateSync } from 'node:zlib';

/**
 * Reading what pdfkit wrote, for tests: the text drawn on the pages (compressed or not) and the
 * document information entries. Enough for pdfkit's own output, not a general PDF parser.
 */

/** Each content stream's bytes, inflated when it is deflated (images and fonts that do not inflate are skipped). */
function contentStreams(pdf: Buffer): string[] {
  const source = pdf.toString('latin1');
  const streams: string[] = [];
  for (const match of source.matchAll(/<<([^]*?)>>\s*stream\r?\n/g)) {
    const begin = match.index + match[0].length;
    const end = source.indexOf('endstream', begin);
    const bytes = pdf.subarray(begin, end);
    if (/\/FlateDecode/.test(match[1]!)) {
      try {
        streams.push(inflateSync(bytes).toString('latin1'));
      } catch {
        // Not a deflated text stream.
      }
    } else if (!/\/Subtype\s*\/Image/.test(match[1]!)) streams.push(bytes.toString('latin1'));
  }
  return streams;
}

/** The text drawn on the pages: each TJ operator's hex strings, decoded, one per line. */
export function pdfText(pdf: Buffer): string {
  const lines: string[] = [];
  for (const stream of contentStreams(pdf)) {
    for (const match of stream.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      let line = '';
      for (const hex of match[1]!.matchAll(/<([0-9a-fA-F]*)>/g))
        line += Buffer.from(hex[1]!, 'hex').toString('latin1');
      lines.push(line);
    }
  }
  return lines.join('\n');
}

/** A document information entry (Title, Keywords, VigilContentSha256, …) as a plain string. */
export function pdfInfo(pdf: Buffer, key: string): string | null {
  const source = pdf.toString('latin1');
  const trailer = /\/Info (\d+) 0 R/.exec(source.slice(source.lastIndexOf('trailer')));
  if (!trailer) return null;
  const info = new RegExp(`\\n${trailer[1]} 0 obj\\s*<<([^]*?)>>`).exec(source);
  const ref = info && new RegExp(`/${key} (\\d+) 0 R`).exec(info[1]!);
  if (!ref) return null;
  const value = new RegExp(`\\n${ref[1]} 0 obj\\s*\\(([^)]*)\\)`).exec(source);
  if (!value) return null;
  const bytes = Buffer.from(value[1]!.replace(/\\(.)/g, '$1'), 'latin1');
  // pdfkit writes a string with any non-ASCII character as UTF-16BE after a byte order mark.
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return bytes.subarray(2).swap16().toString('utf16le');
  return bytes.toString('latin1');
}

/** The number of pages. */
export function pdfPageCount(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;
}
