// Tensors cross module boundaries as typed arrays with explicit shapes.
export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array;

export interface Tensor<D extends TensorData = TensorData> {
  data: D;
  dims: number[];
}

export type FloatTensor = Tensor<Float32Array>;

export function numel(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}
