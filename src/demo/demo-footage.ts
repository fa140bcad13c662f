import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../config/project-root';

const run = promisify(execFile);

export interface DemoFootage {
  /** Folder file sources may read from (FILE_SOURCE_ROOT for the demo). */
  root: string;
  file: string;
  description: string;
}

/**
 * The demo's camera: vtest.avi, 79.5 s of real fixed-camera footage of people walking, taken from
 * Debian's opencv-doc package by scripts/fetch-test-media.sh (apt is the only network it uses).
 * Where apt cannot reach a mirror, a synthetic clip made with ffmpeg stands in, so the demo still
 * runs end to end (the detector then finds nobody).
 */
export async function demoFootage(ffmpegPath: string, log: (line: string) => void): Promise<DemoFootage> {
  const root = path.join(projectRoot(), 'test', '.media');
  const vtest = path.join(root, 'vtest.avi');
  if (!existsSync(vtest)) {
    log('Fetching the demo footage (vtest.avi from Debian’s opencv-doc package)...');
    try {
      await run('bash', [path.join(projectRoot(), 'scripts', 'fetch-test-media.sh')], { timeout: 300_000 });
    } catch (error) {
      log(
        `  could not fetch it (${(error as Error).message.split('\n')[0]}); using a synthetic clip instead`,
      );
    }
  }
  if (existsSync(vtest)) {
    return {
      root,
      file: vtest,
      description: 'vtest.avi: 79.5 s of a fixed camera over a pedestrian walkway',
    };
  }
  const synthetic = path.join(root, 'demo-synthetic.mp4');
  if (!existsSync(synthetic)) {
    await mkdir(root, { recursive: true });
    await run(
      ffmpegPath,
      [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=768x576:rate=25:duration=60',
        '-pix_fmt',
        'yuv420p',
        '-y',
        synthetic,
      ],
      { timeout: 120_000 },
    );
  }
  return {
    root,
    file: synthetic,
    description: 'a synthetic ffmpeg test pattern (vtest.avi could not be fetched)',
  };
}
