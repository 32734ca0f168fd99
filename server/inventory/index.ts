export { createSource } from './create-source';
export { listSources } from './list-sources';
export { getSource } from './get-source';
export { testSourceConnection } from './test-source-connection';
export type { SourceDto } from './source-dto';
