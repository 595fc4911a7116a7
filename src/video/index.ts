// Public API of the video module: decoding (ffmpeg), PaddleVideo-exact preprocessing pipelines, .npy I/O.
export {
  decodeAllFrames,
  decodeSampledFrames,
  forEachSampledFrame,
  probeVideo,
  type DecodeOptions,
  type Frames,
  type VideoInfo,
  type VideoInput,
} from './decode.ts';
export { containerFrameCount, type ContainerCount } from './container.ts';
export { ffmpegPath, useSpawnerProcess } from './ffmpeg.ts';
export { readNpy, writeNpy, type NpyArray } from './npy.ts';
export {
  getPipeline,
  helperPipeline,
  INFERENCE_HELPERS,
  PIPELINES,
  pipelineOutputDims,
  pipelineSampler,
  preprocessFrames,
  preprocessVideo,
  sampleIndices,
  type HelperArgs,
  type InferenceHelper,
  type OpSpec,
  type PipelineSpec,
  type PreprocessOptions,
} from './pipelines.ts';
export { loadPaddleVideoConfig, parsePaddleVideoConfig, PaddleVideoConfigError, type PaddleVideoConfig } from './paddlevideo-config.ts';
export { samplerIndices, type SamplerArgs } from './sampler.ts';
export { DEFAULT_ORIENTATION, type Orientation } from './rotate.ts';
