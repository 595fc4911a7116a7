// Public API of the serving module: start a Paddle Serving-compatible pipeline server from a config.
export { startServer, StartupError, type ServeOptions, type RunningServer } from './server.ts';
export { loadServingConfig, parseServingConfig, ConfigError, type ServingConfig, type OpConf, type LocalServiceConf } from './config.ts';
export { VideoOp, type OpResult, type StageTimings, type VideoOpOptions } from './op.ts';
export { softmaxF32, numpyExpF32, topK, predict, formatPrediction, parseLabelList, LabelMap, diagnoseScores, type Prediction } from './postprocess.ts';
export { openServingLogs, DEFAULT_LOG_DIR, type ServingLogs } from './logs.ts';
export type { PipelineRef } from './preprocess.ts';
