'use client';

import { createContext, useContext } from 'react';

/** Who is signed in and what the console should offer them. The server still authorizes every request. */
export interface Viewer {
  email: string;
  role: string;
  can: {
    writeInventory: boolean;
    runBackup: boolean;
    requestRestore: boolean;
    /** Ask for a recovery point to be re-read, decoded and checked (`backup:run`). */
    verifyPoint: boolean;
    /** Place or release a legal hold, lock a recovery point (`restore:approve`: a governance duty). */
    governPoints: boolean;
    cancelRun: boolean;
    manageTokens: boolean;
    manageKeys: boolean;
    /** Read and export the audit trail, run its verification (`audit:read`: approvers and admins). */
    readAudit: boolean;
    /** Create users, change their role, disable them (`user:manage`: admins only). */
    manageUsers: boolean;
    /** Create and edit destinations (`destination:write`: admins only, a destination decides where workers write). */
    manageDestinations: boolean;
    /** See notification channels and their delivery logs (`notification:read`: operators, approvers, admins). */
    readNotifications: boolean;
    /** Create, test and delete notification channels (`notification:write`: admins only). */
    manageNotifications: boolean;
  };
}

const ViewerContext = createContext<Viewer | null>(null);

export function ViewerProvider({ viewer, children }: { viewer: Viewer; children: React.ReactNode }) {
  return <ViewerContext.Provider value={viewer}>{children}</ViewerContext.Provider>;
}

export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error('useViewer outside the console layout');
  return viewer;
}
