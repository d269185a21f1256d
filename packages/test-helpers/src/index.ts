export { createHubFixtureRepo, gitBlobId } from './hub-fixture-repo';
export type { HubFixtureCommit, HubFixtureFile, HubFixtureFiles, HubFixtureRepo, HubFixtureRepoOptions } from './hub-fixture-repo';
export { startLoopbackHub } from './loopback-hub';
export type { HubRequestRecord, LoopbackHub, LoopbackHubOptions } from './loopback-hub';
export type { ActiveHubFault, HubFault, HubFaultMatch, HubFaultRule } from './loopback-hub-faults';
export type { HubTreeEntry } from './loopback-hub-api';
export { argmax, compareReferenceCases } from './compare-reference-cases';
export type { CompareReferenceCasesOptions, NpyTensorLike, OutputDifference, ReferenceCaseLike } from './compare-reference-cases';
