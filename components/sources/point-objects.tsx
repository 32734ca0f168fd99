'use client';

import { API_BASE } from '@/components/api/client';
import type { RecoveryPoint } from '@/components/api/types';
import { formatBytes } from '@/components/ui/format';
import { describeObjectDetails, pointObjectViews } from './object-details';

/**
 * What a recovery point holds, one line per stored object (role, size, what the engine says is in it: databases,
 * tables with row counts, Redis keys per database, file names), each with a Download link for those who may request
 * restores (the bytes are the data itself). The link is a plain navigation: the answer is an attachment, so the page
 * stays; an error (every copy damaged, a shredded key) shows as the API's JSON error instead of a broken file.
 */
export function PointObjects({ point, canDownload }: { point: RecoveryPoint; canDownload: boolean }) {
  const objects = pointObjectViews(point);
  return (
    <ul className="plain-list small point-objects" data-testid="point-objects">
      {objects.map((o) => {
        const lines = describeObjectDetails(o.details);
        return (
          <li key={o.role} data-testid="point-object" data-role={o.role}>
            <span className="mono">{o.role}</span> <span className="muted">{formatBytes(o.size)}</span>
            {canDownload && (
              <>
                {' '}
                <a
                  className="btn btn-sm"
                  href={`${API_BASE}/recovery-points/${encodeURIComponent(point.id)}/objects/${encodeURIComponent(o.role)}/content`}
                  aria-label={`Download ${o.role}`}
                  data-testid="download-object"
                  rel="nofollow"
                >
                  Download
                </a>
              </>
            )}
            {lines.length > 0 && (
              <div className="muted" title={lines.join('\n')}>
                {lines.join(' · ')}
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}
