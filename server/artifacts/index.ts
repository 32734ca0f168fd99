export * from './pipeline';
export { ArtifactError, isArtifactError, type ArtifactErrorCode } from './errors';
export { codecOf, codecSteps, isCodec, storedExtension, type Codec, type CodecStep } from './codec';
export { assertIdentity, assertRecipient, generateIdentity, isIdentity, isRecipient, recipientOf, type AgeKeyPair } from './keys';
export { allOrRootCause, isCancellation } from './settle';
