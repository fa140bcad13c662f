import { burntInTime, concatList, frameHolds, MAX_HOLD_SECONDS, MIN_HOLD_SECONDS } from './clip-encoder';

describe('clip encoder', () => {
  const at = (seconds: number) => new Date(Date.UTC(2026, 11, 7, 16, 0, 0) + seconds * 1000);

  it('holds each frame until the next one’s capture time, clamped, and the last for one tick', () => {
    expect(frameHolds([at(0), at(0.5), at(1.5), at(61.5), at(61.5), at(62)])).toEqual([
      0.5,
      1,
      MAX_HOLD_SECONDS,
      MIN_HOLD_SECONDS,
      0.5,
      MIN_HOLD_SECONDS,
    ]);
  });

  it('burns in the capture time to the millisecond, in UTC', () => {
    expect(burntInTime(new Date('2026-12-07T16:05:00.185Z'))).toBe('2026-12-07 16:05:00.185 UTC');
  });

  it('lists every frame with its time as packet metadata and its hold, quoting paths', () => {
    const list = concatList([
      { file: "/tmp/it's/000000.jpg", capturedAt: at(0) },
      { file: '/tmp/x/000001.jpg', capturedAt: at(0.25) },
    ]);
    expect(list.split('\n')).toEqual([
      'ffconcat version 1.0',
      "file '/tmp/it'\\''s/000000.jpg'",
      "file_packet_meta vigil_time '2026-12-07 16:00:00.000 UTC'",
      'duration 0.250',
      "file '/tmp/x/000001.jpg'",
      "file_packet_meta vigil_time '2026-12-07 16:00:00.250 UTC'",
      'duration 0.040',
      '',
    ]);
  });
});
