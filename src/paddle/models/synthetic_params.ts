// Seeded synthetic weights for any Paddle program, so its graph can run end to end without the real weights.
// Every tensor gets values from its role in the graph (which op slot uses it), chosen so that activations stay
// finite and varied through deep residual stacks:
//  - conv filters: He-normal, std = sqrt(2 / fan_in), which keeps the second moment of conv+relu outputs constant;
//  - batch_norm: running mean ≈ 0, variance ≈ 1 (so inference BN is ≈ scale·x + offset), offset small;
//    scale 1, except where the BN output is a residual branch: 0.3 against an identity shortcut (each block then
//    grows the signal by only ~(1 + 2·0.3²)) and 1/√2 when both sides of the add are conv+BN (projection blocks);
//  - fc weights N(0, 0.01²), biases and anything else small;
//  - the bias of a gate (an add whose sum only feeds a sigmoid: SE modules, PP-TSMv2's temporal attention) ≈ 3, so
//    the gate starts open (sigmoid ≈ 0.95): half-closed gates would shrink the signal 2× per SE block.
// Values depend only on (seed, variable name), not on the order of variables.
import { persistableVars, writeParams } from '../params.ts';
import { dtypeSize, type OpDesc, type ParamTensor, type ProgramDesc, type VarDesc } from '../types.ts';
import { numel } from '../../tensor.ts';

type Role =
  | { kind: 'conv' }
  | { kind: 'bn_scale'; value: number }
  | { kind: 'bn_bias' }
  | { kind: 'bn_mean' }
  | { kind: 'bn_variance' }
  | { kind: 'fc' }
  | { kind: 'bias' }
  | { kind: 'gate_bias' }
  | { kind: 'ones' }
  | { kind: 'zeros' }
  | { kind: 'other' };

const RESIDUAL_BRANCH_SCALE = 0.3;
const PROJECTION_SCALE = Math.SQRT1_2;

/** Seeded 32-bit PRNG (mulberry32) with Box–Muller normals. */
export class Rng {
  private state: number;
  private spare: number | undefined;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  uniform(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = this.uniform();
    while (u <= 1e-12) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** FNV-1a of the name mixed with the seed: one independent stream per variable. */
function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ Math.imul(seed >>> 0, 0x9e3779b1);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function assignRoles(program: ProgramDesc): Map<string, Role> {
  const roles = new Map<string, Role>();
  const ops: OpDesc[] = program.blocks.flatMap((b) => b.ops);
  const producer = new Map<string, OpDesc>();
  const consumers = new Map<string, OpDesc[]>();
  for (const op of ops) {
    for (const names of Object.values(op.outputs)) for (const n of names) producer.set(n, op);
    for (const names of Object.values(op.inputs)) for (const n of names) (consumers.get(n) ?? consumers.set(n, []).get(n)!).push(op);
  }
  const set = (names: string[] | undefined, role: Role): void => {
    for (const n of names ?? []) if (!roles.has(n)) roles.set(n, role);
  };
  for (const op of ops) {
    switch (op.type) {
      case 'conv2d':
      case 'depthwise_conv2d':
      case 'conv3d':
      case 'conv2d_transpose':
        set(op.inputs.Filter, { kind: 'conv' });
        set(op.inputs.Bias, { kind: 'bias' });
        break;
      case 'batch_norm':
      case 'sync_batch_norm': {
        set(op.inputs.Scale, { kind: 'bn_scale', value: bnScale(op, producer, consumers) });
        set(op.inputs.Bias, { kind: 'bn_bias' });
        set(op.inputs.Mean, { kind: 'bn_mean' });
        set(op.inputs.Variance, { kind: 'bn_variance' });
        break;
      }
      case 'layer_norm':
      case 'instance_norm':
      case 'group_norm':
        set(op.inputs.Scale, { kind: 'ones' });
        set(op.inputs.Bias, { kind: 'zeros' });
        break;
      case 'matmul':
      case 'matmul_v2':
      case 'mul':
        set(op.inputs.Y, { kind: 'fc' });
        set(op.inputs.X, { kind: 'fc' });
        break;
      case 'elementwise_add':
      case 'elementwise_sub':
        if (op.type === 'elementwise_add' && feedsOnlySigmoid(op, consumers)) set(op.inputs.Y, { kind: 'gate_bias' });
        set(op.inputs.Y, { kind: 'bias' });
        set(op.inputs.X, { kind: 'bias' });
        break;
      case 'elementwise_mul':
      case 'elementwise_div':
        set(op.inputs.Y, { kind: 'ones' });
        break;
    }
  }
  return roles;
}

function feedsOnlySigmoid(op: OpDesc, consumers: Map<string, OpDesc[]>): boolean {
  const users = consumers.get(op.outputs.Out?.[0] ?? '') ?? [];
  return users.length > 0 && users.every((u) => u.type === 'sigmoid');
}

/** BN scale: damp residual branches so a 16-block stack neither explodes nor vanishes. */
function bnScale(bn: OpDesc, producer: Map<string, OpDesc>, consumers: Map<string, OpDesc[]>): number {
  const y = bn.outputs.Y?.[0];
  if (!y) return 1;
  const users = consumers.get(y) ?? [];
  if (users.length !== 1 || users[0]!.type !== 'elementwise_add') return 1;
  const add = users[0]!;
  const other = [...(add.inputs.X ?? []), ...(add.inputs.Y ?? [])].find((n) => n !== y);
  if (other === undefined) return 1;
  const otherOp = producer.get(other);
  return otherOp?.type === 'batch_norm' ? PROJECTION_SCALE : RESIDUAL_BRANCH_SCALE;
}

function fill(v: VarDesc, role: Role, rng: Rng): ParamTensor {
  const name = v.name;
  const dims = v.shape ?? [];
  if (dims.some((d) => d < 0)) throw new Error(`makeParams: persistable variable ${name} has an unknown dim [${dims.join(', ')}]`);
  const dtype = v.dtype ?? 'float32';
  const n = numel(dims);
  if (dtype !== 'float32' && dtype !== 'float64') {
    // Integer / bool / half persistables (rare in inference graphs): zeros.
    return { name, dtype, dims, data: new Uint8Array(n * dtypeSize(dtype)) };
  }
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const gen = (f: () => number): void => {
    for (let i = 0; i < n; i++) out[i] = f();
  };
  switch (role.kind) {
    case 'conv': {
      const fanIn = dims.length > 1 ? numel(dims.slice(1)) : 1;
      const std = Math.sqrt(2 / fanIn);
      gen(() => rng.normal() * std);
      break;
    }
    case 'bn_scale':
      gen(() => role.value * (1 + 0.05 * rng.normal()));
      break;
    case 'bn_bias':
      gen(() => 0.02 * rng.normal());
      break;
    case 'bn_mean':
      gen(() => 0.02 * rng.normal());
      break;
    case 'bn_variance':
      gen(() => 0.9 + 0.2 * rng.uniform());
      break;
    case 'fc':
      gen(() => 0.01 * rng.normal());
      break;
    case 'bias':
      gen(() => 0.01 * rng.normal());
      break;
    case 'gate_bias':
      gen(() => 3 + 0.1 * rng.normal());
      break;
    case 'ones':
      out.fill(1);
      break;
    case 'zeros':
      break;
    case 'other':
      gen(() => 0.02 * rng.normal());
      break;
  }
  return { name, dtype, dims, data: new Uint8Array(out.buffer) };
}

/** Synthetic weights for every persistable variable of `program`, in .pdiparams order. */
export function makeParams(program: ProgramDesc, seed = 0): ParamTensor[] {
  const roles = assignRoles(program);
  return persistableVars(program).map((v) => fill(v, roles.get(v.name) ?? { kind: 'other' }, new Rng(streamSeed(seed, v.name))));
}

/** makeParams serialized as a .pdiparams file. */
export function makeParamsFile(program: ProgramDesc, seed = 0): Uint8Array {
  return writeParams(makeParams(program, seed));
}
