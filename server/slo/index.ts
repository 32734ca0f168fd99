export { getSlo, sourceSlo, type SloDto } from './get-slo';
export { listSlots } from './list-slots';
export type { SourceSlo, SloStatus } from './evaluate-source';
