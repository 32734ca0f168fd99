import type { AnyDestinationKind } from './destination-kind';
import { localDestination } from './local-destination';
import { s3Destination } from './s3-destination';

/** Every kind of destination, once. A new kind is its own file plus one line here. */
const kinds = {
  local: localDestination,
  s3: s3Destination,
} satisfies Record<string, AnyDestinationKind>;

export type DestinationKindName = keyof typeof kinds;

export const DESTINATION_KINDS = Object.keys(kinds) as [DestinationKindName, ...DestinationKindName[]];

export function isDestinationKind(kind: string): kind is DestinationKindName {
  return Object.hasOwn(kinds, kind);
}

/** The kind of a destination row. Throws for a kind no registry line declares (a row from a newer version). */
export function getDestinationKind(kind: string): AnyDestinationKind {
  if (!isDestinationKind(kind)) throw new Error(`unsupported destination kind ${JSON.stringify(kind)}; known: ${DESTINATION_KINDS.join(', ')}`);
  return kinds[kind];
}
