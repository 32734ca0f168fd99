export { downloadObject, type ObjectDownload } from './download-object';
export { DownloadError, isDownloadError, type DownloadErrorCode } from './errors';
export { downloadFileName, rawExtension } from './download-name';
