export { requestRestore } from './request-restore';
