// A protobufjs message type from one of our .proto files, loaded on first use, field names kept as on the wire.
import protobuf from 'protobufjs';

export function lazyMessageType(protoPath: string, typeName: string): () => protobuf.Type {
  let type: protobuf.Type | undefined;
  return () => {
    if (!type) {
      const root = new protobuf.Root();
      root.loadSync(protoPath, { keepCase: true });
      type = root.lookupType(typeName);
    }
    return type;
  };
}
