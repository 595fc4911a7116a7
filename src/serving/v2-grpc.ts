// Open Inference Protocol v2 over gRPC: inference.GRPCInferenceService (grpc_predict_v2.proto) on the rpc port,
// beside PipelineService and through the same op. ModelInfer messages stay bytes on this thread (only the model
// name is peeked) and are decoded in a prepare worker; failures are gRPC statuses with a message.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { encodeBytesElements, encodeFp32, v2ServiceDefinition } from '../protocol/v2.ts';
import { runRequest, type HandlerContext } from './handler.ts';
import { V2Error, V2_MODEL_VERSION, answerOutputs, checkModel, modelMetadata, serverMetadata, statusOf, type V2Status } from './v2.ts';
import type { OpResult } from './op.ts';

type Unary<Req, Res> = (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => void;

const GRPC_STATUS: Record<V2Status, grpc.status> = {
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  NOT_FOUND: grpc.status.NOT_FOUND,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  DEADLINE_EXCEEDED: grpc.status.DEADLINE_EXCEEDED,
  INTERNAL: grpc.status.INTERNAL,
};

function fail(status: V2Status, message: string): Partial<grpc.StatusObject> {
  return { code: GRPC_STATUS[status], details: message };
}

/** Runs `answer`, turning a thrown V2Error into its status. */
function unary<Req, Res>(answer: (req: Req) => Res): Unary<Req, Res> {
  return (call, callback) => {
    try {
      callback(null, answer(call.request));
    } catch (e) {
      if (e instanceof V2Error) callback(fail(e.status, e.message));
      else callback(fail('INTERNAL', (e as Error).message));
    }
  };
}

// Fields 1 and 2 of ModelInferRequest: enough to refuse an unknown model before the message goes to a worker
// (protobufjs skips the other fields without copying them).
const ModelName = protobuf.Root.fromJSON({
  nested: { ModelName: { fields: { model_name: { type: 'string', id: 1 }, model_version: { type: 'string', id: 2 } } } },
}).lookupType('ModelName');

/** Adds GRPCInferenceService to the rpc server (one call from grpc.ts). */
export function addV2Service(server: grpc.Server, ctx: HandlerContext): void {
  const base = v2ServiceDefinition();
  // Only ModelInfer's request side is overridden; the rest use proto-loader's (de)serializers.
  const service: grpc.ServiceDefinition = { ...base, ModelInfer: { ...base.ModelInfer!, requestDeserialize: (b: Buffer) => b } };
  const model = (name: string, version: string) => {
    checkModel(ctx, name, version);
    return ctx.model;
  };
  server.addService(service, {
    ServerLive: unary(() => ({ live: true })),
    ServerReady: unary(() => ({ ready: ctx.model.ready() })),
    ModelReady: unary((r: { name: string; version: string }) => ({ ready: model(r.name, r.version).ready() })),
    ServerMetadata: unary(() => serverMetadata()),
    ModelMetadata: unary((r: { name: string; version: string }) => modelMetadata(model(r.name, r.version))),
    ModelInfer: ((call, callback) => {
      let target: { model_name: string; model_version: string };
      try {
        target = ModelName.toObject(ModelName.decode(call.request), { defaults: true }) as typeof target;
        checkModel(ctx, target.model_name, target.model_version);
      } catch (e) {
        const err = e instanceof V2Error ? e : new V2Error('INVALID_ARGUMENT', `not a valid inference.ModelInferRequest message: ${(e as Error).message}`);
        return callback(fail(err.status, err.message));
      }
      // grpc-js's message buffer is ours once the call is decoded; a small one may be Node's shared pool, never ours.
      const ownsBuffer = call.request.buffer.byteLength > Buffer.poolSize;
      runRequest(ctx, call.request, 'v2-proto', 'v2-grpc', { peer: call.getPeer(), ownsBuffer }).then(
        (o) => (o.ok ? callback(null, inferResponse(ctx.model.name, o.result)) : callback(fail(statusOf(o.error.code), o.error.message))),
        (e: Error) => callback(fail('INTERNAL', e.message)),
      );
    }) as Unary<Buffer, unknown>,
  });
}

/** A ModelInferResponse: raw_output_contents when the request sent raw_input_contents (Triton's clients do), else typed contents. */
function inferResponse(modelName: string, result: OpResult) {
  const raw = result.meta.v2?.rawOutputs ?? false;
  const rawContents: Buffer[] = [];
  const outputs = answerOutputs(result).map(({ output }) => {
    const { name, datatype, shape } = output;
    if (output.datatype === 'BYTES') {
      const items = output.values.map((s) => Buffer.from(s, 'utf8'));
      if (raw) rawContents.push(encodeBytesElements(items));
      return { name, datatype, shape, ...(raw ? {} : { contents: { bytes_contents: items } }) };
    }
    if (raw) rawContents.push(encodeFp32(output.values));
    return { name, datatype, shape, ...(raw ? {} : { contents: { fp32_contents: output.values } }) };
  });
  return { model_name: modelName, model_version: V2_MODEL_VERSION, id: result.meta.v2?.id ?? '', outputs, raw_output_contents: rawContents };
}
