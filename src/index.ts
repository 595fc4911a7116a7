// vidserve as a library: `import { VideoClient } from 'vidserve'`.
export * from './client/index.ts';
export type { PipelineRequest, PipelineResponse, PipelineTensor } from './protocol/types.ts';
export { ErrorCode } from './errors.ts';
