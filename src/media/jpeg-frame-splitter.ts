import type { FrameSize } from './frame-geometry';

/**
 * Splits a byte stream of concatenated JPEG images (ffmpeg's `image2pipe` output) into one buffer
 * per image. It walks the JPEG structure instead of searching for the bytes FF D9: marker segments
 * (quantisation tables, comments, EXIF) are skipped by their declared length, because their
 * payload may contain FF D9; in entropy-coded data FF is always followed by 00 (stuffing), D0-D7
 * (restart markers) or a real marker, so the end of image there is unambiguous. Progressive JPEGs
 * (several scans, tables between them) work the same way. Chunks may end anywhere, a marker's
 * two bytes or a length's two bytes included.
 *
 * Bytes outside an image (anything before FF D8) are skipped and counted; so is an image that
 * breaks the structure or grows past `maxFrameBytes`, after which the splitter looks for the next
 * FF D8. ffmpeg never writes such bytes; the counters are there to notice if it ever does.
 */
export interface JpegFrameSplitterOptions {
  /** Largest image accepted; a 448-px JPEG is ~20-60 KB, so the default leaves a wide margin. */
  maxFrameBytes?: number;
}

const enum State {
  /** Outside an image, looking for FF. */
  SeekSoiFf,
  /** Saw FF outside an image, expecting D8. */
  SeekSoiD8,
  /** Between segments, expecting FF. */
  MarkerFf,
  /** Saw FF between segments, expecting the marker code. */
  MarkerCode,
  /** Reading the first (high) byte of a segment length. */
  LengthHigh,
  /** Reading the second (low) byte of a segment length. */
  LengthLow,
  /** Skipping a segment's payload. */
  SkipPayload,
  /** In entropy-coded data after SOS, looking for FF. */
  Entropy,
  /** Saw FF in entropy-coded data. */
  EntropyFf,
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;

export class JpegFrameSplitter {
  private readonly maxFrameBytes: number;
  private state = State.SeekSoiFf;
  private marker = 0;
  private lengthHigh = 0;
  private remaining = 0;
  /** Pieces of the image being read, the first starting at its FF D8. */
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  private discarded = 0;

  constructor(options: JpegFrameSplitterOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 16 * 1024 * 1024;
  }

  /** Bytes that were not part of any complete image so far. */
  get discardedBytes(): number {
    return this.discarded;
  }

  /** Bytes of an image begun but not finished (at the end of a stream: a truncated image). */
  get pendingBytes(): number {
    return this.state === State.SeekSoiFf || this.state === State.SeekSoiD8 ? 0 : this.pieceBytes;
  }

  /** Feeds a chunk; returns the images it completed, each a buffer of its own. */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    // Start of the current image within `chunk`, or -1 when it began in an earlier chunk (or none).
    let start = this.state === State.SeekSoiFf || this.state === State.SeekSoiD8 ? -1 : 0;
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case State.SeekSoiFf: {
          const ff = chunk.indexOf(0xff, i);
          if (ff < 0) {
            this.discarded += n - i;
            i = n;
          } else {
            this.discarded += ff - i;
            i = ff + 1;
            this.state = State.SeekSoiD8;
          }
          break;
        }
        case State.SeekSoiD8: {
          const byte = chunk[i]!;
          i += 1;
          if (byte === SOI) {
            start = this.begin(i);
          } else if (byte !== 0xff) {
            this.discarded += 2;
            this.state = State.SeekSoiFf;
          } else {
            this.discarded += 1;
          }
          break;
        }
        case State.MarkerFf: {
          if (chunk[i] !== 0xff) {
            start = this.abandon(chunk, start, i);
            break;
          }
          i += 1;
          this.state = State.MarkerCode;
          break;
        }
        case State.MarkerCode: {
          const code = chunk[i]!;
          i += 1;
          if (code === 0xff) break; // fill byte before a marker
          if (code === EOI) {
            this.complete(chunk, start, i, frames);
            start = -1;
          } else if (code === SOI) {
            // An image that never ended: drop it and start over at this one.
            this.abandon(chunk, start, i - Math.min(i, 2));
            start = this.begin(i);
          } else if (code === 0x00) {
            start = this.abandon(chunk, start, i);
          } else if (code === TEM || (code >= 0xd0 && code <= 0xd7)) {
            this.state = State.MarkerFf; // markers without a length
          } else {
            this.marker = code;
            this.state = State.LengthHigh;
          }
          break;
        }
        case State.LengthHigh:
          this.lengthHigh = chunk[i]!;
          i += 1;
          this.state = State.LengthLow;
          break;
        case State.LengthLow: {
          const length = (this.lengthHigh << 8) | chunk[i]!;
          i += 1;
          if (length < 2) {
            start = this.abandon(chunk, start, i);
            break;
          }
          this.remaining = length - 2;
          this.state = this.remaining > 0 ? State.SkipPayload : this.afterSegment();
          break;
        }
        case State.SkipPayload: {
          const step = Math.min(this.remaining, n - i);
          i += step;
          this.remaining -= step;
          if (this.remaining === 0) this.state = this.afterSegment();
          break;
        }
        case State.Entropy: {
          const ff = chunk.indexOf(0xff, i);
          if (ff < 0) {
            i = n;
          } else {
            i = ff + 1;
            this.state = State.EntropyFf;
          }
          break;
        }
        case State.EntropyFf: {
          const code = chunk[i]!;
          i += 1;
          if (code === 0x00 || (code >= 0xd0 && code <= 0xd7)) {
            this.state = State.Entropy; // stuffed FF or restart marker: still scan data
          } else if (code === 0xff) {
            // fill byte: stay
          } else if (code === EOI) {
            this.complete(chunk, start, i, frames);
            start = -1;
          } else if (code === SOI) {
            this.abandon(chunk, start, i - Math.min(i, 2));
            start = this.begin(i);
          } else {
            // A marker between scans of a progressive JPEG (DHT, SOS, DNL...): it has a length.
            this.marker = code;
            this.state = State.LengthHigh;
          }
          break;
        }
      }
      if (start >= 0 && this.pieceBytes + (i - start) > this.maxFrameBytes) {
        start = this.abandon(chunk, start, i);
      }
    }
    if (start >= 0) {
      this.pieces.push(chunk.subarray(start));
      this.pieceBytes += n - start;
    }
    return frames;
  }

  private afterSegment(): State {
    return this.marker === SOS ? State.Entropy : State.MarkerFf;
  }

  /**
   * Starts an image whose FF D8 ends just before `i` in the current chunk; the FF may have ended
   * the previous chunk. Returns where the image starts in the current chunk.
   */
  private begin(i: number): number {
    this.state = State.MarkerFf;
    if (i >= 2) return i - 2;
    this.pieces = [Buffer.from([0xff])];
    this.pieceBytes = 1;
    return 0;
  }

  /** Adds the image that ends just before `end` in `chunk` to `frames`, copied out of the chunks it spans. */
  private complete(chunk: Buffer, start: number, end: number, frames: Buffer[]): void {
    if (this.pieceBytes + (end - start) > this.maxFrameBytes) {
      this.abandon(chunk, start, end);
      return;
    }
    frames.push(Buffer.concat([...this.pieces, chunk.subarray(start, end)]));
    this.pieces = [];
    this.pieceBytes = 0;
    this.state = State.SeekSoiFf;
  }

  /** Drops the image in progress and resynchronises on the next FF D8 at or after `at`. */
  private abandon(chunk: Buffer, start: number, at: number): number {
    this.discarded += this.pieceBytes + (start >= 0 ? at - start : 0);
    this.pieces = [];
    this.pieceBytes = 0;
    this.state = State.SeekSoiFf;
    return -1;
  }
}

/** Width and height from a JPEG's frame header (SOFn), or undefined if it has none. */
export function readJpegSize(jpeg: Buffer): FrameSize | undefined {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== SOI) return undefined;
  let i = 2;
  while (i + 4 <= jpeg.length) {
    if (jpeg[i] !== 0xff) return undefined;
    const code = jpeg[i + 1]!;
    if (code === 0xff) {
      i += 1;
      continue;
    }
    if (code === TEM || (code >= 0xd0 && code <= 0xd7)) {
      i += 2;
      continue;
    }
    const length = jpeg.readUInt16BE(i + 2);
    // SOF0-SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    if (code >= 0xc0 && code <= 0xcf && code !== 0xc4 && code !== 0xc8 && code !== 0xcc) {
      if (i + 9 > jpeg.length) return undefined;
      return { height: jpeg.readUInt16BE(i + 5), width: jpeg.readUInt16BE(i + 7) };
    }
    if (code === SOS || code === EOI) return undefined;
    i += 2 + length;
  }
  return undefined;
}
