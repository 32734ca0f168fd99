export { createSource } from './create-source';
export { listSources } from './list-sources';
export { getSource } from './get-source';
export { testSourceConnection } from './test-source-connection';
export type { SourceDto } from './source-dto';
export { createDestination } from './create-destination';
export { listDestinations } from './list-destinations';
export type { DestinationDto } from './destination-dto';
