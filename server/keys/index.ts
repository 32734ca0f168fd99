export { listKeys, rotateKey, shredKey, exportRecoveryKit } from './manage-keys';
export type { KeyDto } from './key-dto';
export { readFormatDoc } from './read-format-doc';
