// Loads pipeline_service.proto once for both the gRPC server and clients, with one set of loader options.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_PATH = fileURLToPath(new URL('./pipeline_service.proto', import.meta.url));

/**
 * keepCase: field names stay snake_case (err_no, elem_type) as on the wire and in our TS types;
 * longs as decimal strings (logid is int64); arrays/defaults so absent repeated fields read as [].
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: true,
};

let cached: grpc.ServiceDefinition | undefined;

/** The PipelineService definition (method `inference`) for grpc-js Server.addService / makeGenericClientConstructor. */
export function pipelineServiceDefinition(): grpc.ServiceDefinition {
  if (!cached) {
    const pkgDef = protoLoader.loadSync(PROTO_PATH, PROTO_LOADER_OPTIONS);
    const loaded = grpc.loadPackageDefinition(pkgDef) as unknown as {
      baidu: { paddle_serving: { pipeline_serving: { PipelineService: grpc.ServiceClientConstructor } } };
    };
    cached = loaded.baidu.paddle_serving.pipeline_serving.PipelineService.service;
  }
  return cached;
}

/** A client constructor for PipelineService: `new (pipelineClientConstructor())(addr, credentials, options)`. */
export function pipelineClientConstructor(): grpc.ServiceClientConstructor {
  return grpc.makeGenericClientConstructor(pipelineServiceDefinition(), 'PipelineService');
}
