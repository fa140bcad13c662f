import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * Test media, generated with ffmpeg into a temporary folder on first use and reused for the rest
 * of the test file (nothing large is committed). All of it is synthetic (lavfi), so every frame's
 * content is known.
 */
export interface MediaFixtures {
  dir: string;
  /** 10 s of testsrc, 640x360 at 25 fps, H.264 in MP4 with the index first (progressive-friendly). */
  testsrc: string;
  /** 10 s of a static grey scene; a red box fills the left half from t=4 s to t=6 s. */
  boxScene: string;
  /** 5 s of 1920x1080 at 30 fps H.264 (testsrc2). */
  hd: string;
  /** The first half of `testsrc`'s bytes: a clip cut off mid-file. */
  truncated: string;
  /** A text file named .mp4. */
  notVideo: string;
  /** `testsrc` as an HLS VOD playlist (1 s segments) in `hls/`. */
  hlsVod: string;
}

/** When the box is visible in `boxScene`, in seconds. */
export const BOX_VISIBLE = { from: 4, to: 6 } as const;

const run = promisify(execFile);

export function ffmpegPath(): string {
  return process.env.FFMPEG_PATH ?? 'ffmpeg';
}

let cached: Promise<MediaFixtures> | undefined;

export function mediaFixtures(): Promise<MediaFixtures> {
  cached ??= generate();
  return cached;
}

/** Removes the folder; the next mediaFixtures() call generates everything again. */
export async function removeMediaFixtures(): Promise<void> {
  const fixtures = cached;
  cached = undefined;
  if (!fixtures) return;
  const { dir } = await fixtures.catch(() => ({ dir: undefined }));
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** Runs ffmpeg quietly with a time limit; rejects with its stderr on failure. */
export async function ffmpeg(args: string[], timeoutMs = 60_000): Promise<void> {
  await run(ffmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
    timeout: timeoutMs,
    maxBuffer: 4 * 1024 * 1024,
  });
}

const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'];

async function generate(): Promise<MediaFixtures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-media-'));
  const file = (name: string) => path.join(dir, name);
  const fixtures: MediaFixtures = {
    dir,
    testsrc: file('testsrc.mp4'),
    boxScene: file('box-scene.mp4'),
    hd: file('hd-1080p30.mp4'),
    truncated: file('truncated.mp4'),
    notVideo: file('not-video.mp4'),
    hlsVod: file('hls/index.m3u8'),
  };
  await Promise.all([
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=640x360:rate=25:duration=10',
      ...H264,
      '-g',
      '25',
      fixtures.testsrc,
    ]),
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=gray:size=640x360:rate=25:duration=10',
      '-vf',
      `drawbox=x=0:y=0:w=320:h=360:color=red:t=fill:enable='between(t,${BOX_VISIBLE.from},${BOX_VISIBLE.to})'`,
      ...H264,
      '-g',
      '25',
      fixtures.boxScene,
    ]),
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1920x1080:rate=30:duration=5',
      ...H264,
      '-g',
      '60',
      fixtures.hd,
    ]),
    writeFile(fixtures.notVideo, 'This is a text file that only pretends to be a video.\n'.repeat(20)),
  ]);
  const whole = await readFile(fixtures.testsrc);
  await writeFile(fixtures.truncated, whole.subarray(0, Math.floor(whole.length / 2)));
  await mkdir(path.dirname(fixtures.hlsVod));
  await ffmpeg([
    '-i',
    fixtures.testsrc,
    '-c',
    'copy',
    '-f',
    'hls',
    '-hls_time',
    '1',
    '-hls_playlist_type',
    'vod',
    '-hls_segment_filename',
    path.join(path.dirname(fixtures.hlsVod), 'segment-%03d.ts'),
    fixtures.hlsVod,
  ]);
  return fixtures;
}
