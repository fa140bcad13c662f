import { DataTable } from '../../components/data-table';
import type { DraftRegion } from './scene-draft';
import { colourOf } from './scene-shapes';

/** The scene's zones and lines with their settings, read only. */
export function SceneTable({ regions }: { regions: DraftRegion[] }) {
  const colours = new Map(regions.map((region, index) => [region.key, colourOf(index)]));
  return (
    <DataTable
      label="Zones and lines"
      rows={regions}
      rowKey={(region) => region.key}
      empty="No zones or lines are drawn on this stream."
      columns={[
        {
          header: 'Name',
          rowHeader: true,
          cell: (region) => (
            <>
              <span className="swatch" style={{ background: colours.get(region.key) }} aria-hidden="true" />
              {region.name}
            </>
          ),
        },
        { header: 'Kind', cell: (region) => (region.kind === 'zone' ? 'Zone' : 'Line') },
        { header: 'Objects', cell: (region) => region.labels || 'every object' },
        { header: 'Events', cell: describeSettings },
        { header: 'Severity', cell: (region) => region.severity || 'default' },
      ]}
    />
  );
}

function describeSettings(region: DraftRegion): string {
  if (region.kind === 'line') {
    if (region.allowedDirection === 'to-left') return 'crossing; only to the left of A→B, else wrong way';
    if (region.allowedDirection === 'to-right') return 'crossing; only to the right of A→B, else wrong way';
    return 'crossing either way';
  }
  return [
    'enter, leave',
    region.dwellSeconds ? `loitering after ${region.dwellSeconds} s` : 'loitering (default time)',
    region.crowdAt ? `crowd at ${region.crowdAt}` : null,
  ]
    .filter(Boolean)
    .join('; ');
}
