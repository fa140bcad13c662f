import { describeEvents, describeTracks } from './demo-report';

describe("the demo report's scene part", () => {
  it('counts the latest tracks by label, most first', () => {
    const result = {
      tracks: [{ label: 'person' }, { label: 'bicycle' }, { label: 'person' }, { label: 'person' }],
    };
    expect(describeTracks(result)).toBe('4 tracks (person x3, bicycle x1)');
    expect(describeTracks({ tracks: [{ label: 'person' }] })).toBe('1 track (person x1)');
  });

  it('says so when a result has no tracks, or is an older result without them', () => {
    expect(describeTracks({ tracks: [] })).toBe('no tracks');
    expect(describeTracks({ objects: [{ label: 'person', count: 2 }] })).toBe('no tracks');
    expect(describeTracks(null)).toBe('no tracks');
  });

  it('counts the events of several windows by type and zone', () => {
    const results = [
      {
        events: [
          { type: 'enter', zone: 'lawn' },
          { type: 'crowd', zone: 'walkway' },
        ],
      },
      { events: [] },
      { events: [{ type: 'enter', zone: 'lawn' }, { type: 'run' }] },
      null,
    ];
    expect(describeEvents(results)).toBe('enter lawn x2, crowd walkway x1, run x1');
    expect(describeEvents([{ events: [] }, {}])).toBe('no events');
  });
});
