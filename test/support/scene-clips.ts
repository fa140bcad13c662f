import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runFfmpeg, vtestPath } from './test-media';

/**
 * Scripted clips with a real person in them: the man in the dark jacket at the right of vtest.avi's
 * walkway (5 s in), cut out, scaled to about a third of the picture's height and moved over a plain
 * background by ffmpeg's overlay filter, so the detector sees a person and the script says exactly
 * what happens when.
 */
export class SceneClips {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-scene-clips-'));
  readonly walker = path.join(this.dir, 'walker.png');
  readonly lying = path.join(this.dir, 'lying.png');

  async prepare(): Promise<void> {
    const vtest = vtestPath();
    if (!vtest) throw new Error('vtest.avi is missing: run `bash scripts/fetch-test-media.sh`');
    const cut = ['-v', 'error', '-ss', '5', '-i', vtest, '-vf', 'crop=50:130:665:250,scale=80:208'];
    await runFfmpeg([...cut, '-frames:v', '1', '-y', this.walker]);
    await runFfmpeg(['-v', 'error', '-i', this.walker, '-vf', 'transpose=2', '-y', this.lying]);
  }

  /** A 768x576 clip of `seconds` on a grey background, the inputs placed by `filter`. */
  async clip(name: string, seconds: number, inputs: string[], filter: string): Promise<string> {
    const file = path.join(this.dir, `${name}.mp4`);
    const background = ['-f', 'lavfi', '-i', `color=c=0x858585:s=768x576:r=10:d=${seconds}`];
    const overlays = inputs.flatMap((input) => ['-i', input]);
    const output = ['-filter_complex', filter, '-pix_fmt', 'yuv420p', '-y', file];
    await runFfmpeg(['-v', 'error', ...background, ...overlays, ...output]);
    return file;
  }

  /**
   * The walk: walks right for 5 s (crossing x = 0.35 at 2.3 s, reaching x = 0.55 at 3.8 s), stands
   * 7 s, walks back left (past x = 0.55 at 13.2 s and x = 0.35 at 14.7 s); 17 s in all.
   */
  walk(): Promise<string> {
    return this.clip(
      'walk',
      17,
      [this.walker],
      "[0][1]overlay=x='if(lt(t,5),100*t,if(lt(t,12),500,500-100*(t-12)))':y=250:eval=frame",
    );
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
